using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Quantized fully connected layer y[n, m] = requant(Σk (x[n, k] − zx)·w[m, k] + bias[m]) for the few rows of a classifier
/// head: each input row is centred and widened to int16 once, then every output is one exact int16×int16→int32 dot
/// product (<c>vpmaddwd</c> on AVX2/AVX-512, widened int32 lanes on Vector128, scalar otherwise). With AVX-VNNI and
/// weights that fit in int8, the weights stay bytes (half the bytes a run streams: a classifier's 1,280 × 1,000 weights
/// are larger than L2) and each group of 4 outputs sums the input row's raw codes against its 4 weight rows with
/// <c>vpdpbusd</c>, one input load per 4 rows; zx·Σw comes off in the bias, and the 4 sums are requantized together.
/// On AVX2 without VNNI, weights whose pairs cannot saturate (<see cref="Int8BytePairs"/>: 7-bit weights) take the same
/// byte layout and loop with the <c>vpmaddubsw</c> step; other weights that fit in int8 keep the byte layout too and
/// widen codes and weights to int16 in registers for <c>vpmaddwd</c> (exact): a batch-1 classifier streams its weights
/// once a run, and AlexNet's 9,216 × 4,096 layer took twice ONNX Runtime's time reading them as int16.
/// </summary>
internal sealed unsafe class Int8Dense : IParallelWork
{
    private const int Pad = 32;

    private readonly short[] _w;
    private readonly short* _wp;
    private readonly sbyte[]? _w8;      // AVX-VNNI or byte pairs: [outF rounded to 4][stride] int8 weights
    private readonly int[]? _bias8;     // and their bias minus zx·Σw, per output rounded to 4
    private readonly float[]? _scale8;
    private readonly Requantizer _requant;
    private readonly int _outF, _inF, _stride;
    private readonly byte _inputZero;
    private readonly bool _bytePairs; // AVX2 without VNNI, weights whose pairs fit (Int8BytePairs)
    private readonly bool _widened;   // AVX2 without VNNI, other weights that fit in int8: widened in registers
    private short* _xc;
    private byte* _y;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Int8Dense(ReadOnlySpan<short> weights, int outF, int inF, int[] bias, float[] scale, int inputZero, int outputZero, int min, int max, Int8Path path)
    {
        _outF = outF;
        _inF = inF;
        _stride = (inF + Pad - 1) / Pad * Pad;
        _inputZero = (byte)inputZero;
        _requant = new Requantizer(bias, scale, outputZero, min, max);
        bool vnni = path == Int8Path.AvxVnni && Int8Paths.IsSupported(path) && Int8Convolutions.FitInBytes(weights);
        bool avx2 = !vnni && path is Int8Path.Avx2 or Int8Path.AvxVnni && Int8Paths.IsSupported(Int8Path.Avx2);
        _bytePairs = avx2 && Int8BytePairs.Fit(weights, outF, inF, 1);
        _widened = avx2 && !_bytePairs && Int8Convolutions.FitInBytes(weights);
        if (vnni || _bytePairs || _widened)
        {
            Path = vnni ? path : Int8Path.Avx2;
            int rows = (outF + 3) / 4 * 4;
            _w8 = GC.AllocateArray<sbyte>(rows * _stride, pinned: true);
            _bias8 = new int[rows];
            _scale8 = new float[rows];
            for (int m = 0; m < outF; m++)
            {
                int sum = 0;
                for (int k = 0; k < inF; k++)
                {
                    _w8[(m * _stride) + k] = (sbyte)weights[(m * inF) + k];
                    sum += weights[(m * inF) + k];
                }

                _bias8[m] = bias[m] - (inputZero * sum);
                _scale8[m] = scale[m];
            }

            _w = [];
            return;
        }

        Path = path == Int8Path.AvxVnni ? Int8Path.Avx2 : path;
        _w = GC.AllocateArray<short>(Math.Max(1, outF * _stride), pinned: true);
        for (int m = 0; m < outF; m++)
        {
            weights.Slice(m * inF, inF).CopyTo(_w.AsSpan(m * _stride, inF));
        }

        _wp = (short*)Unsafe.AsPointer(ref _w[0]);
    }

    public Int8Path Path { get; }

    public string Algorithm => "int8-dense-" + Int8Paths.Name(Path) + (_bytePairs ? "-u8s8" : _widened ? "-s8" : string.Empty);

    /// <summary>Scratch bytes: one centred int16 input row (AVX-VNNI: one zero-padded uint8 row).</summary>
    public long ScratchBytes => MemoryPlan.Align((long)_stride * sizeof(short));

    /// <summary>Runs <paramref name="rows"/> input rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(byte* x, int rows, byte* y, byte* scratch, WorkerPool pool)
    {
        _xc = (short*)scratch;
        for (int n = 0; n < rows; n++)
        {
            byte* xr = x + ((long)n * _inF);
            _y = y + ((long)n * _outF);
            if (_w8 is not null)
            {
                // Raw codes, zeros past the row (their weights are zero too).
                Buffer.MemoryCopy(xr, scratch, _inF, _inF);
                new Span<byte>(scratch + _inF, _stride - _inF).Clear();
                pool.Run(this, (_outF + 3) / 4);
                continue;
            }

            for (int k = 0; k < _stride; k++)
            {
                _xc[k] = (short)(k < _inF ? xr[k] - _inputZero : 0);
            }

            pool.Run(this, _outF);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        if (_bytePairs)
        {
            ExecuteQuads<BytePairQuads>(begin, end);
            return;
        }

        if (_widened)
        {
            ExecuteQuads<WidenedQuads>(begin, end);
            return;
        }

        if (_w8 is not null)
        {
            ExecuteQuads<VnniQuads>(begin, end);
            return;
        }

        for (int m = begin; m < end; m++)
        {
            int sum = Dot(_xc, _wp + ((long)m * _stride), _stride, Path);
            _y[m] = _requant.Apply(sum, m);
        }
    }

    // Groups of 4 outputs [begin, end): the step of the row's codes against 4 weight rows, the 4 sums requantized together.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExecuteQuads<TStep>(int begin, int end)
        where TStep : struct, IQuadStep
    {
        byte* x = (byte*)_xc;
        Vector128<int> zero = Vector128.Create(_requant.ZeroPoint), lo = Vector128.Create(_requant.Min), hi = Vector128.Create(_requant.Max);
        fixed (sbyte* w0 = _w8)
        fixed (int* bias = _bias8)
        fixed (float* scale = _scale8)
        {
            for (int g = begin; g < end; g++)
            {
                int m = g * 4;
                sbyte* w = w0 + ((long)m * _stride);
                Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int k = 0; k < _stride; k += 32)
                {
                    Vector256<byte> v = Vector256.Load(x + k);
                    a0 = TStep.Add(a0, v, Vector256.Load(w + k));
                    a1 = TStep.Add(a1, v, Vector256.Load(w + _stride + k));
                    a2 = TStep.Add(a2, v, Vector256.Load(w + (2 * _stride) + k));
                    a3 = TStep.Add(a3, v, Vector256.Load(w + (3 * _stride) + k));
                }

                // [Σa0 Σa1 Σa2 Σa3]: pairwise adds within the 128-bit halves, then the halves.
                Vector256<int> h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a0, a1), Avx2.HorizontalAdd(a2, a3));
                Vector128<int> sums = h.GetLower() + h.GetUpper();
                Vector128<int> q = Requantizer.Codes(sums, Vector128.Load(bias + m), Vector128.Load(scale + m), zero, lo, hi);
                int count = Math.Min(4, _outF - m);
                for (int i = 0; i < count; i++)
                {
                    _y[m + i] = (byte)q.GetElement(i);
                }
            }
        }
    }

    /// <summary>4 uint8 codes × 4 int8 weights per int32 lane, added to the lane.</summary>
    private interface IQuadStep
    {
        static abstract Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<sbyte> w);
    }

    private struct VnniQuads : IQuadStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<sbyte> w) => AvxVnni.MultiplyWideningAndAdd(acc, x, w);
    }

    private struct BytePairQuads : IQuadStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<sbyte> w) => Int8BytePairs.Add(acc, x, w);
    }

    private struct WidenedQuads : IQuadStep
    {
        // Codes zero-extended and weights sign-extended to int16, multiplied and added in pairs into int32: exact.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<sbyte> w) =>
            acc + Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(x.GetLower()), Avx2.ConvertToVector256Int16(w.GetLower()))
            + Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(x.GetUpper()), Avx2.ConvertToVector256Int16(w.GetUpper()));
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
