using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Quantized depthwise convolution (groups = Cin = Cout), parallel over channels. Each uint8 channel is copied into a
/// padded byte plane (the padding is the input zero point, so every tap is corrected by the same −zero·Σw folded into the
/// bias), split by stride phase (<see cref="StridePhases"/>). All output rows of the channel are then one run of int32
/// sums of length (OH−1)·pw + OW, computed in registers a block of vectors at a time over all taps (widened bytes times
/// each tap's weight, exact int32 arithmetic), and each output row is requantized from the run into the NCHW output.
/// Maps up to <see cref="BlockedMaxWidth"/> wide take the float kernel's channel-blocked path
/// (<see cref="DepthwiseTiles"/>) instead: a block of 16/8/4 channels' codes minus the input zero point are transposed
/// into a zero-padded float tile, the float kernels sum the taps — exactly: every product and partial sum is an integer
/// below 2²⁴ (at most taps · 255 · |w| ≤ 2²⁴ is checked), so the float sums equal the int32 ones bit for bit — and each
/// output pixel's lanes are requantized with their channels' bias and scale and transposed back as codes.
/// </summary>
internal sealed unsafe class Int8Depthwise : IParallelWork, IDisposable
{
    /// <summary>
    /// The widest output rows the blocked path takes: the float kernel's rule, except 28 for stride 2 on 8 lanes, where
    /// the per-channel byte path (phases split 32 bytes at a time) was faster on 112² → 56² maps (Zen 4, AVX2 path:
    /// 1.21–1.24× the time blocked; on 16 lanes blocked took 0.82–0.88 of it), and on 4 lanes 28 for stride 1 and 14
    /// otherwise, where the codes go in and out of the tiles a lane at a time (Zen 5, <c>vector128</c>: blocked 1.1–2×
    /// the per-channel time at 56² and 112², whereas the float kernel's 4×4 transposes make its blocked path faster).
    /// </summary>
    public static int BlockedMaxWidth(Isa isa, int stride) => isa switch
    {
        Isa.Avx2 when stride > 1 => Math.Min(28, ConvDepthwise.BlockedMaxWidth(isa, stride)),
        Isa.Vector128 => stride == 1 ? 28 : 14,
        _ => ConvDepthwise.BlockedMaxWidth(isa, stride),
    };

    private readonly Conv2dShape _s;
    private readonly int[] _weights; // [C, taps]
    private readonly Requantizer _requant;
    private readonly byte _inputZero;
    private readonly StridePhases _phases;
    private readonly int _lanes; // channels per block on the blocked path (16, 8 or 4); 0: per-channel path
    private readonly DepthwiseTiles? _tiles; // the blocked path's tiles and float kernels
    private readonly int[] _tileBias = []; // the blocked path's requantization: the model's bias (the zero point is subtracted from the codes), padded to whole blocks
    private readonly float[] _tileScale = []; // and each channel's multiplier, padded the same way
    private readonly bool _inputPixelMajor, _outputPixelMajor;
    private byte* _x, _y, _scratch;

    /// <param name="s">The geometry.</param>
    /// <param name="weights">[C, kh·kw] zero-point-centred weights.</param>
    /// <param name="bias">Per channel int32 bias.</param>
    /// <param name="scale">Per channel multiplier.</param>
    /// <param name="inputZero">The input zero point.</param>
    /// <param name="outputZero">The output zero point.</param>
    /// <param name="min">Lowest output code.</param>
    /// <param name="max">Highest output code.</param>
    /// <param name="path">The instruction path.</param>
    /// <param name="inputPixelMajor">The input is pixel-major ([H][W][C], <see cref="QuantizedLayout"/>); only where <see cref="IsBlocked"/>.</param>
    /// <param name="outputPixelMajor">Write the output pixel-major; only where <see cref="IsBlocked"/>.</param>
    public Int8Depthwise(in Conv2dShape s, ReadOnlySpan<short> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, int inputZero, int outputZero,
        int min, int max, Int8Path path, bool inputPixelMajor = false, bool outputPixelMajor = false)
    {
        _s = s;
        _inputPixelMajor = inputPixelMajor;
        _outputPixelMajor = outputPixelMajor;
        Path = path;
        _inputZero = (byte)inputZero;
        int taps = s.KernelHeight * s.KernelWidth;
        _weights = new int[s.OutChannels * taps];
        var b = new int[s.OutChannels];
        for (int c = 0; c < s.OutChannels; c++)
        {
            int sum = 0;
            for (int t = 0; t < taps; t++)
            {
                sum += _weights[(c * taps) + t] = weights[(c * taps) + t];
            }

            b[c] = bias[c] - (inputZero * sum);
        }

        _requant = new Requantizer(b, scale.ToArray(), outputZero, min, max);
        _phases = new StridePhases(s);

        _lanes = IsBlocked(s, weights, path) ? LanesOf(path) : 0;
        if (_lanes == 0 && (inputPixelMajor || outputPixelMajor))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"Int8Depthwise: {s} takes the per-channel path, which reads and writes NCHW only.");
        }

        if (_lanes > 0)
        {
            var wf = new float[_weights.Length];
            for (int i = 0; i < wf.Length; i++)
            {
                wf[i] = _weights[i];
            }

            _tiles = new DepthwiseTiles(s, wf, null, _lanes, ioBytesPerPixel: _lanes);
            int padded = (s.OutChannels + _lanes - 1) / _lanes * _lanes;
            _tileBias = new int[padded];
            _tileScale = new float[padded];
            bias.CopyTo(_tileBias);
            scale.CopyTo(_tileScale);
        }

        Algorithm = "int8-depthwise-" + (_lanes > 0 ? "blocked-" : string.Empty) + Int8Paths.Name(path) + QuantizedLayout.Suffix(inputPixelMajor, outputPixelMajor);
    }

    /// <summary>
    /// Whether <paramref name="s"/> takes the channel-blocked path on <paramref name="path"/>: maps the float kernel takes
    /// channel blocks for, when the float sums stay exact for these <paramref name="weights"/>. Only that path reads and
    /// writes pixel-major tensors.
    /// </summary>
    public static bool IsBlocked(in Conv2dShape s, ReadOnlySpan<short> weights, Int8Path path) =>
        SumsExactInFloat(s, weights, 1) && s.OutWidth <= BlockedMaxWidth(IsaOf(path), Math.Max(s.StrideHeight, s.StrideWidth));

    /// <summary>
    /// Whether float sums of <paramref name="s"/>'s taps, each a code (≤ 255) times a weight, stay exact integers:
    /// <paramref name="terms"/>·taps·255·max|w| + max|bias| &lt; 2²⁴ (2 terms when the sum starts from −zero·Σw, as the
    /// direct kernel's, which starts from the <paramref name="bias"/> too).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool SumsExactInFloat(in Conv2dShape s, ReadOnlySpan<short> weights, int terms, ReadOnlySpan<int> bias = default)
    {
        int maxWeight = 0;
        foreach (short w in weights)
        {
            maxWeight = Math.Max(maxWeight, Math.Abs((int)w));
        }

        long maxBias = 0;
        foreach (int b in bias)
        {
            maxBias = Math.Max(maxBias, Math.Abs((long)b));
        }

        return ((long)terms * s.KernelHeight * s.KernelWidth * 255 * maxWeight) + maxBias < (1L << 24);
    }

    private static Isa IsaOf(Int8Path path) =>
        path switch { Int8Path.Avx512 => Isa.Avx512, Int8Path.Avx2 or Int8Path.AvxVnni => Isa.Avx2, Int8Path.Vector128 => Isa.Vector128, _ => Isa.Scalar };

    private static int LanesOf(Int8Path path) => IsaOf(path) switch { Isa.Avx512 => 16, Isa.Avx2 => 8, _ => 4 };

    public Int8Path Path { get; }

    public string Algorithm { get; }

    // The plane, plus 64 bytes of slack: vector loads of the last tap may read past the run (never used).
    private long PlaneBytes => MemoryPlan.Align(_phases.PlaneElements + 64 + _phases.PaddedWidth);

    private long RunBytes => MemoryPlan.Align(((long)_phases.RunLength + 16) * sizeof(int));

    // Plane, int32 run, and the run requantized to bytes; or, blocked, the tiles' scratch.
    private long ThreadBytes => _tiles != null
        ? MemoryPlan.Align(_tiles.ScratchBytes)
        : PlaneBytes + RunBytes + MemoryPlan.Align(_phases.RunLength + 64L);

    /// <summary>Scratch bytes of one run for <paramref name="threads"/> threads.</summary>
    public long ScratchBytes(int threads) => ThreadBytes * threads;

    /// <summary>Convolves one image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(byte* x, byte* y, byte* scratch, WorkerPool pool)
    {
        _x = x;
        _y = y;
        _scratch = scratch;
        pool.Run(this, _tiles != null ? _tiles.Items : _s.OutChannels);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        if (_tiles != null)
        {
            fixed (int* tb = _tileBias)
            fixed (float* ts = _tileScale)
            {
                var io = new CodePlanes(_x, _y, (long)_s.InHeight * _s.InWidth, (long)_s.OutHeight * _s.OutWidth, _lanes, _inputZero,
                    tb, ts, _requant.ZeroPoint, _requant.Min, _requant.Max, _s.InChannels, _inputPixelMajor, _outputPixelMajor);
                _tiles.Run(io, _scratch + (threadIndex * ThreadBytes), begin, end, FusedActivation.None);
            }

            return;
        }

        byte* plane = _scratch + (threadIndex * ThreadBytes);
        int* acc = (int*)(plane + PlaneBytes);
        int taps = _phases.TapOffsets.Length, run = _phases.RunLength;
        for (int c = begin; c < end; c++)
        {
            BuildPlane(_x + ((long)c * _s.InHeight * _s.InWidth), plane);
            fixed (int* offs = _phases.TapOffsets, w = &_weights[c * taps])
            {
                SumTaps(plane, offs, w, taps, acc, run, Path);
            }

            // The whole run at once (vector code, pad columns included), then each row's OW codes to the output.
            byte* codes = (byte*)acc + RunBytes;
            _requant.Row(acc, run, c, codes, Path);
            byte* y = _y + ((long)c * _s.OutHeight * _s.OutWidth);
            for (int oy = 0; oy < _s.OutHeight; oy++)
            {
                Buffer.MemoryCopy(codes + (oy * _phases.PhaseWidth), y + (oy * _s.OutWidth), _s.OutWidth, _s.OutWidth);
            }
        }
    }

    /// <summary>
    /// acc[i] = Σ_t w[t] · x[offs[t] + i] for i in [0, n), bytes widened to int32: blocks of four vectors with the
    /// taps inner, so the sums stay in registers and each is stored once (not loaded and stored once per tap).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SumTaps(byte* x, int* offs, int* w, int taps, int* acc, int n, Int8Path path)
    {
        int i = 0;
        if (path == Int8Path.Avx512)
        {
            for (; i + 64 <= n; i += 64)
            {
                Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int t = 0; t < taps; t++)
                {
                    Vector512<int> vw = Vector512.Create(w[t]);
                    byte* q = x + offs[t] + i;
                    a0 += Avx512F.ConvertToVector512Int32(Vector128.Load(q)) * vw;
                    a1 += Avx512F.ConvertToVector512Int32(Vector128.Load(q + 16)) * vw;
                    a2 += Avx512F.ConvertToVector512Int32(Vector128.Load(q + 32)) * vw;
                    a3 += Avx512F.ConvertToVector512Int32(Vector128.Load(q + 48)) * vw;
                }

                a0.Store(acc + i);
                a1.Store(acc + i + 16);
                a2.Store(acc + i + 32);
                a3.Store(acc + i + 48);
            }

            for (; i + 16 <= n; i += 16)
            {
                Vector512<int> a0 = default;
                for (int t = 0; t < taps; t++)
                {
                    a0 += Avx512F.ConvertToVector512Int32(Vector128.Load(x + offs[t] + i)) * Vector512.Create(w[t]);
                }

                a0.Store(acc + i);
            }
        }
        else if (path is Int8Path.Avx2 or Int8Path.AvxVnni)
        {
            for (; i + 32 <= n; i += 32)
            {
                Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int t = 0; t < taps; t++)
                {
                    Vector256<int> vw = Vector256.Create(w[t]);
                    byte* q = x + offs[t] + i;
                    a0 += Avx2.ConvertToVector256Int32(q) * vw;
                    a1 += Avx2.ConvertToVector256Int32(q + 8) * vw;
                    a2 += Avx2.ConvertToVector256Int32(q + 16) * vw;
                    a3 += Avx2.ConvertToVector256Int32(q + 24) * vw;
                }

                a0.Store(acc + i);
                a1.Store(acc + i + 8);
                a2.Store(acc + i + 16);
                a3.Store(acc + i + 24);
            }

            for (; i + 8 <= n; i += 8)
            {
                Vector256<int> a0 = default;
                for (int t = 0; t < taps; t++)
                {
                    a0 += Avx2.ConvertToVector256Int32(x + offs[t] + i) * Vector256.Create(w[t]);
                }

                a0.Store(acc + i);
            }
        }
        else if (path == Int8Path.Vector128)
        {
            for (; i + 4 <= n; i += 4)
            {
                Vector128<int> a0 = default;
                for (int t = 0; t < taps; t++)
                {
                    Vector128<int> v = Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(uint*)(x + offs[t] + i)).AsByte())).AsInt32();
                    a0 += v * Vector128.Create(w[t]);
                }

                a0.Store(acc + i);
            }
        }

        for (; i < n; i++)
        {
            int sum = 0;
            for (int t = 0; t < taps; t++)
            {
                sum += w[t] * x[offs[t] + i];
            }

            acc[i] = sum;
        }
    }

    // Padded rows of the channel, split by stride phase; padding is the zero point.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BuildPlane(byte* x, byte* plane)
    {
        Conv2dShape s = _s;
        int sh = s.StrideHeight, sw = s.StrideWidth, pw = _phases.PhaseWidth, width = _phases.PaddedWidth;
        byte* row = plane + PlaneBytes - MemoryPlan.Align(width); // a padded input row, before its phase split
        for (int py = 0; py < _phases.PaddedHeight; py++)
        {
            int iy = py - s.PadTop;
            byte* dst = plane + ((long)(((py % sh) * sw * _phases.PhaseHeight) + (py / sh)) * pw);
            byte* line = sw == 1 ? dst : row;
            if ((uint)iy >= (uint)s.InHeight)
            {
                StridedBytes.Fill(line, width, _inputZero);
            }
            else
            {
                int left = Math.Min(s.PadLeft, width);
                int copy = Math.Clamp(width - left, 0, s.InWidth);
                StridedBytes.Fill(line, left, _inputZero);
                new ReadOnlySpan<byte>(x + ((long)iy * s.InWidth), copy).CopyTo(new Span<byte>(line + left, copy));
                StridedBytes.Fill(line + left + copy, width - left - copy, _inputZero);
            }

            if (sw == 1)
            {
                continue;
            }

            // Column phases: phase p of row (py / sh) in block (py mod sh).
            long phaseStride = (long)_phases.PhaseHeight * pw;
            int px = 0;
            if (sw == 2)
            {
                byte* even = dst, odd = dst + phaseStride;
                for (; px + 32 <= width; px += 32)
                {
                    Vector128<ushort> a = Vector128.Load(line + px).AsUInt16(), b = Vector128.Load(line + px + 16).AsUInt16();
                    Vector128.Narrow(a, b).Store(even + (px / 2));
                    Vector128.Narrow(a >>> 8, b >>> 8).Store(odd + (px / 2));
                }

                for (; px + 16 <= width; px += 16)
                {
                    Vector128<ushort> a = Vector128.Load(line + px).AsUInt16();
                    *(ulong*)(even + (px / 2)) = Vector128.Narrow(a, a).AsUInt64().ToScalar();
                    *(ulong*)(odd + (px / 2)) = Vector128.Narrow(a >>> 8, a >>> 8).AsUInt64().ToScalar();
                }
            }

            // The rest byte by byte, the column phase and index advancing together (a division per byte by the
            // run-time stride made stride-2 layers slower than stride-1 ones with four times the outputs).
            for (int phase = px % sw, index = px / sw; px < width; px++)
            {
                dst[(phase * phaseStride) + index] = line[px];
                if (++phase == sw)
                {
                    phase = 0;
                    index++;
                }
            }
        }
    }

    /// <summary>Frees the blocked path's tiles.</summary>
    public void Dispose() => _tiles?.Dispose();

    // Codes in and out of the blocked path's float tiles: in, each code minus the input zero point (exact in float);
    // out, each pixel's lanes requantized with their channels' bias and multiplier into codes, then transposed (NCHW)
    // or copied (pixel-major: `channels` codes a pixel).
    private readonly struct CodePlanes(byte* x, byte* y, long inPixels, long outPixels, int v, byte inputZero,
        int* bias, float* scale, int outputZero, int min, int max, int channels, bool inputPixelMajor, bool outputPixelMajor) : ITileIO
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Load(int c0, int n, int p0, int count, float* tile, int* pixelOffsets, byte* scratch)
        {
            byte* src = inputPixelMajor ? x + ((long)p0 * channels) + c0 : x + (c0 * inPixels) + p0;
            float zero = inputZero;
            if (v >= 8 && n == v && Sse2.IsSupported)
            {
                // Whole blocks: the codes to [pixel][v] bytes (pixel-major: each pixel's v codes copied; planar: 16
                // pixels at a time byte-transposed), then widened per pixel.
                if (inputPixelMajor)
                {
                    for (int q = 0; q < count; q++)
                    {
                        if (v == 16)
                        {
                            Vector128.Load(src + ((long)q * channels)).Store(scratch + (q * 16));
                        }
                        else
                        {
                            *(ulong*)(scratch + (q * 8)) = *(ulong*)(src + ((long)q * channels));
                        }
                    }
                }
                else
                {
                    int q = 0;
                    for (; q + 16 <= count; q += 16)
                    {
                        StridedBytes.Transpose(src + q, inPixels, v, 16, scratch + (q * v), v);
                    }

                    for (; q < count; q++)
                    {
                        for (int j = 0; j < v; j++)
                        {
                            scratch[(q * v) + j] = src[(j * inPixels) + q];
                        }
                    }
                }

                if (v == 16)
                {
                    var z = Vector512.Create(zero);
                    for (int p = 0; p < count; p++)
                    {
                        (Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(scratch + (p * 16)))) - z).Store(tile + pixelOffsets[p]);
                    }
                }
                else
                {
                    var z = Vector256.Create(zero);
                    for (int p = 0; p < count; p++)
                    {
                        (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(scratch + (p * 8))) - z).Store(tile + pixelOffsets[p]);
                    }
                }

                return;
            }

            // A partial block or 4 lanes: one code at a time (lanes past n keep whatever they held: never stored).
            long channelStep = inputPixelMajor ? 1 : inPixels, pixelStep = inputPixelMajor ? channels : 1;
            for (int j = 0; j < n; j++)
            {
                byte* c = src + (j * channelStep);
                for (int p = 0; p < count; p++)
                {
                    tile[pixelOffsets[p] + j] = c[p * pixelStep] - zero;
                }
            }
        }

        /// <inheritdoc />
        public float* DirectOutput(int c0, int p0) => null; // codes: always requantized by Store

        /// <inheritdoc />
        public float* DirectInput(int c0) => null; // codes: always converted by Load

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Store(float* outTile, int c0, int n, int p0, int count, byte* scratch)
        {
            int* b = bias + c0;
            float* sc = scale + c0;
            if (v == 16)
            {
                Vector512<int> vb = Vector512.Load(b), vz = Vector512.Create(outputZero), lo = Vector512.Create(min), hi = Vector512.Create(max);
                Vector512<float> vs = Vector512.Load(sc);
                for (int p = 0; p < count; p++)
                {
                    Vector512<int> acc = Avx512F.ConvertToVector512Int32(Vector512.Load(outTile + (p * 16)));
                    Avx512F.ConvertToVector128Byte(Requantizer.Codes(acc, vb, vs, vz, lo, hi)).Store(scratch + (p * 16));
                }
            }
            else if (v == 8)
            {
                Vector256<int> vb = Vector256.Load(b), vz = Vector256.Create(outputZero), lo = Vector256.Create(min), hi = Vector256.Create(max);
                Vector256<float> vs = Vector256.Load(sc);
                for (int p = 0; p < count; p++)
                {
                    Vector256<int> acc = Avx.ConvertToVector256Int32(Vector256.Load(outTile + (p * 8)));
                    Requantizer.StoreCodes(Requantizer.Codes(acc, vb, vs, vz, lo, hi), scratch + (p * 8));
                }
            }
            else
            {
                Vector128<int> vb = Vector128.Load(b), vz = Vector128.Create(outputZero), lo = Vector128.Create(min), hi = Vector128.Create(max);
                Vector128<float> vs = Vector128.Load(sc);
                for (int p = 0; p < count; p++)
                {
                    Vector128<int> q = Requantizer.Codes(Vector128.ConvertToInt32(Vector128.Load(outTile + (p * 4))), vb, vs, vz, lo, hi);
                    Vector128<ushort> s16 = Vector128.Narrow(q, q).AsUInt16();
                    *(uint*)(scratch + (p * 4)) = Vector128.Narrow(s16, s16).AsUInt32().ToScalar();
                }
            }

            if (outputPixelMajor)
            {
                byte* d = y + ((long)p0 * channels) + c0;
                for (int p = 0; p < count; p++, d += channels)
                {
                    if (n == 16)
                    {
                        Vector128.Load(scratch + (p * v)).Store(d);
                    }
                    else
                    {
                        Buffer.MemoryCopy(scratch + (p * v), d, n, n);
                    }
                }

                return;
            }

            byte* dst = y + (c0 * outPixels) + p0;
            if (v >= 8 && n == v && Sse2.IsSupported)
            {
                int p = 0;
                for (; p + 16 <= count; p += 16)
                {
                    StridedBytes.Transpose(scratch + (p * v), v, 16, v, dst + p, outPixels);
                }

                for (; p < count; p++)
                {
                    for (int j = 0; j < v; j++)
                    {
                        dst[(j * outPixels) + p] = scratch[(p * v) + j];
                    }
                }

                return;
            }

            for (int j = 0; j < n; j++)
            {
                byte* d = dst + (j * outPixels);
                for (int p = 0; p < count; p++)
                {
                    d[p] = scratch[(p * v) + j];
                }
            }
        }
    }
}
