using System.Runtime.CompilerServices;
namespace LightNet.Engine.Kernels;

/// <summary>
/// Per-channel affine with a fused activation: <c>y[n,c,s] = act(x[n,c,s]·scale[c] + shift[c])</c> over NCHW data seen as
/// [Batch, Channels, Spatial] (Spatial = H·W, or 1 for [N,C]). This is BatchNormalization that could not be folded into a
/// preceding Conv (e.g. DenseNet's pre-activation BN→ReLU). In place (x == y) is allowed. Work is split statically over
/// the Batch·Channels planes. Run is not reentrant.
/// </summary>
internal sealed unsafe class ChannelAffineKernel : IParallelWork
{
    private readonly float[] _scale;
    private readonly float[] _shift;
    private float* _x;
    private float* _y;

    private ChannelAffineKernel(int batch, int channels, int spatial, float[] scale, float[] shift, Activation activation)
    {
        Batch = batch;
        Channels = channels;
        Spatial = spatial;
        _scale = scale;
        _shift = shift;
        Activation = activation;
    }

    /// <summary>Images per run.</summary>
    public int Batch { get; }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>Elements per channel plane.</summary>
    public int Spatial { get; }

    /// <summary>The fused activation.</summary>
    public Activation Activation { get; }

    /// <summary>The per-channel scale (copy).</summary>
    public ReadOnlySpan<float> Scale => _scale;

    /// <summary>The per-channel shift (copy).</summary>
    public ReadOnlySpan<float> Shift => _shift;

    /// <summary>Prepares y = act(x·scale[c] + shift[c]).</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when scale or shift is not [Channels]
    /// or a size is negative.</exception>
    public static ChannelAffineKernel Create(int batch, int channels, int spatial, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Activation activation)
    {
        if (batch < 0 || channels < 0 || spatial < 0 || scale.Length != channels || shift.Length != channels)
        {
            throw new LightNetException(ErrorCode.InvalidShape,
                $"ChannelAffine: batch {batch}, {channels} channels of {spatial} needs [{channels}] scale and shift (got [{scale.Length}] and [{shift.Length}]).");
        }

        OpShapes.Product([batch, channels, spatial]);
        return new ChannelAffineKernel(batch, channels, spatial, scale.ToArray(), shift.ToArray(), activation);
    }

    /// <summary>
    /// Prepares ONNX BatchNormalization (inference): y = act(gamma·(x - mean)/sqrt(var + epsilon) + beta), i.e.
    /// scale = gamma/sqrt(var + eps), shift = beta - mean·scale.
    /// </summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when a parameter is not [channels].</exception>
    public static ChannelAffineKernel FromBatchNorm(int batch, int channels, int spatial, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float epsilon, Activation activation)
    {
        if (gamma.Length != channels || beta.Length != channels || mean.Length != channels || variance.Length != channels)
        {
            throw new LightNetException(ErrorCode.InvalidShape,
                $"BatchNormalization with {channels} channels needs [{channels}] scale, B, mean and var (got [{gamma.Length}], [{beta.Length}], [{mean.Length}], [{variance.Length}]).");
        }

        var scale = new float[channels];
        var shift = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            scale[c] = gamma[c] / MathF.Sqrt(variance[c] + epsilon);
            shift[c] = beta[c] - (mean[c] * scale[c]);
        }

        return Create(batch, channels, spatial, scale, shift, activation);
    }

    /// <summary>y = act(x·scale[c] + shift[c]); x and y are [Batch, Channels, Spatial].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y, WorkerPool? pool)
    {
        _x = x;
        _y = y;
        OpShapes.Run(pool, this, Batch * Channels, (long)Batch * Channels * Spatial);
        _x = _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        int spatial = Spatial;
        for (int p = begin; p < end; p++)
        {
            int c = p % Channels;
            long off = (long)p * spatial;
            Elementwise.ScaleShift(_x + off, _scale[c], _shift[c], _y + off, spatial);
            if (!Activation.IsNone)
            {
                Elementwise.Apply(Activation, _y + off, _y + off, spatial);
            }
        }
    }
}
