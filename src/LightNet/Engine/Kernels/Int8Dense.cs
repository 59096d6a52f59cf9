using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Quantized fully connected layer y[n, m] = requant(Σk (x[n, k] − zx)·w[m, k] + bias[m]) for the few rows of a classifier
/// head: each input row is centred and widened to int16 once, then every output is one exact int16×int16→int32 dot
/// product (<c>vpmaddwd</c> on AVX2/AVX-512, widened int32 lanes on Vector128, scalar otherwise).
/// </summary>
internal sealed unsafe class Int8Dense : IParallelWork
{
    private const int Pad = 32;

    private readonly short[] _w;
    private readonly short* _wp;
    private readonly Requantizer _requant;
    private readonly int _outF, _inF, _stride;
    private readonly byte _inputZero;
    private short* _xc;
    private byte* _y;

    public Int8Dense(ReadOnlySpan<short> weights, int outF, int inF, int[] bias, float[] scale, int inputZero, int outputZero, int min, int max, Int8Path path)
    {
        _outF = outF;
        _inF = inF;
        _stride = (inF + Pad - 1) / Pad * Pad;
        _inputZero = (byte)inputZero;
        Path = path == Int8Path.AvxVnni ? Int8Path.Avx2 : path;
        _w = GC.AllocateArray<short>(Math.Max(1, outF * _stride), pinned: true);
        for (int m = 0; m < outF; m++)
        {
            weights.Slice(m * inF, inF).CopyTo(_w.AsSpan(m * _stride, inF));
        }

        _wp = (short*)Unsafe.AsPointer(ref _w[0]);
        _requant = new Requantizer(bias, scale, outputZero, min, max);
    }

    public Int8Path Path { get; }

    public string Algorithm => "int8-dense-" + Int8Paths.Name(Path);

    /// <summary>Scratch bytes: one centred int16 input row.</summary>
    public long ScratchBytes => MemoryPlan.Align((long)_stride * sizeof(short));

    /// <summary>Runs <paramref name="rows"/> input rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(byte* x, int rows, byte* y, byte* scratch, WorkerPool pool)
    {
        _xc = (short*)scratch;
        for (int n = 0; n < rows; n++)
        {
            byte* xr = x + ((long)n * _inF);
            for (int k = 0; k < _stride; k++)
            {
                _xc[k] = (short)(k < _inF ? xr[k] - _inputZero : 0);
            }

            _y = y + ((long)n * _outF);
            pool.Run(this, _outF);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        for (int m = begin; m < end; m++)
        {
            int sum = Dot(_xc, _wp + ((long)m * _stride), _stride, Path);
            _y[m] = _requant.Apply(sum, m);
        }
    }

    /// <summary>Σ a[i]·b[i] over <paramref name="n"/> (a multiple of 32) int16 values, in int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Dot(short* a, short* b, int n, Int8Path path)
    {
        int i = 0, sum = 0;
        if (path == Int8Path.Avx512)
        {
            Vector512<int> acc = Vector512<int>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                acc += Avx512BW.MultiplyAddAdjacent(Vector512.Load(a + i), Vector512.Load(b + i));
            }

            sum = Vector512.Sum(acc);
        }
        else if (path == Int8Path.Avx2)
        {
            Vector256<int> acc = Vector256<int>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                acc += Avx2.MultiplyAddAdjacent(Vector256.Load(a + i), Vector256.Load(b + i));
            }

            sum = Vector256.Sum(acc);
        }
        else if (path == Int8Path.Vector128)
        {
            Vector128<int> acc = Vector128<int>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                (Vector128<int> a0, Vector128<int> a1) = Vector128.Widen(Vector128.Load(a + i));
                (Vector128<int> b0, Vector128<int> b1) = Vector128.Widen(Vector128.Load(b + i));
                acc += (a0 * b0) + (a1 * b1);
            }

            sum = Vector128.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
