using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// ONNX LRN across channels (AlexNet, GoogLeNet): y[n,c,s] = x[n,c,s] / (bias + alpha/size · Σ x[n,c',s]²)^beta, the sum
/// over c' in [c - floor((size-1)/2), c + ceil((size-1)/2)] ∩ [0, C). x and y are [Batch, Channels, Spatial] and must
/// not overlap (each output channel reads its neighbours). Split statically over Batch·Channels planes.
/// Run is not reentrant.
/// </summary>
internal sealed unsafe class LrnKernel : IParallelWork
{
    private const int Block = 1024;
    private float* _x;
    private float* _y;

    private LrnKernel(int batch, int channels, int spatial, int size, float alpha, float beta, float bias)
    {
        Batch = batch;
        Channels = channels;
        Spatial = spatial;
        Size = size;
        Alpha = alpha;
        Beta = beta;
        Bias = bias;
    }

    /// <summary>Images.</summary>
    public int Batch { get; }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>H·W.</summary>
    public int Spatial { get; }

    /// <summary>Window size (channels).</summary>
    public int Size { get; }

    /// <summary>alpha.</summary>
    public float Alpha { get; }

    /// <summary>beta.</summary>
    public float Beta { get; }

    /// <summary>bias.</summary>
    public float Bias { get; }

    /// <summary>Prepares the LRN (ONNX defaults: alpha 1e-4, beta 0.75, bias 1).</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for size &lt; 1 or negative dims.</exception>
    public static LrnKernel Create(int batch, int channels, int spatial, int size, float alpha = 1e-4f, float beta = 0.75f, float bias = 1f)
    {
        if (size < 1 || batch < 0 || channels < 0 || spatial < 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"LRN: size {size} with batch {batch}, {channels} channels of {spatial}.");
        }

        OpShapes.Product([batch, channels, spatial]);
        return new LrnKernel(batch, channels, spatial, size, alpha, beta, bias);
    }

    /// <summary>y = lrn(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y, WorkerPool? pool)
    {
        _x = x;
        _y = y;
        OpShapes.Run(pool, this, Batch * Channels, (long)Batch * Channels * Spatial * Size);
        _x = _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        Span<float> acc = stackalloc float[Math.Min(Math.Max(Spatial, 1), Block)];
        int below = (Size - 1) / 2;
        int above = Size - 1 - below;
        float scale = Alpha / Size;
        for (int p = begin; p < end; p++)
        {
            int n = p / Channels, c = p % Channels;
            int c0 = Math.Max(0, c - below), c1 = Math.Min(Channels - 1, c + above);
            float* image = _x + ((long)n * Channels * Spatial);
            for (int s = 0; s < Spatial; s += acc.Length)
            {
                int len = Math.Min(acc.Length, Spatial - s);
                var a = acc[..len];
                a.Clear();
                for (int k = c0; k <= c1; k++)
                {
                    var v = new ReadOnlySpan<float>(image + ((long)k * Spatial) + s, len);
                    TensorPrimitives.MultiplyAdd(v, v, a, a);
                }

                fixed (float* ap = a)
                {
                    Elementwise.ScaleShift(ap, scale, Bias, ap, len);
                }

                TensorPrimitives.Pow(a, Beta, a);
                long off = ((long)p * Spatial) + s;
                TensorPrimitives.Divide(new ReadOnlySpan<float>(_x + off, len), a, new Span<float>(_y + off, len));
            }
        }
    }
}
