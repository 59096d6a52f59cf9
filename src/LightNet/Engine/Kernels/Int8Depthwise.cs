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
/// Small maps (output rows at most <see cref="BlockedMaxWidth"/> wide) take the channel-blocked path of
/// the float kernel instead: a block of 16/8/4 channels transposed into a zero-point-padded [row][column][lane] tile,
/// one vector of int32 sums per output pixel, requantized per lane with each channel's bias and scale.
/// </summary>
internal sealed unsafe class Int8Depthwise : IParallelWork
{
    /// <summary>
    /// The widest output rows the channel-blocked path takes. 28 (measured, Zen 4, AVX-512 and AVX2 paths, 1 thread):
    /// 144 channels 56² → 28² stride 2 blocked 139 µs against 340 per channel (AVX2 250 / 326), 192 channels 28² stride 1
    /// 142 / 191 (169 / 175); at 56² and 112² per channel wins (32 channels 112²: 252 / 362).
    /// </summary>
    public const int BlockedMaxWidth = 28;

    private readonly Conv2dShape _s;
    private readonly int[] _weights; // [C, taps]
    private readonly Requantizer _requant;
    private readonly byte _inputZero;
    private readonly StridePhases _phases;
    private readonly int _lanes; // channels per block on the blocked path (16, 8 or 4); 0: per-channel path
    private readonly int[] _blockWeights = []; // [block][tap][lanes]
    private readonly int[] _blockBias = []; // [block][lanes]
    private readonly float[] _blockScale = []; // [block][lanes]
    private readonly int[] _blockTaps = []; // each tap's offset in the padded [row][column][lanes] tile, in bytes
    private byte* _x, _y, _scratch;

    public Int8Depthwise(in Conv2dShape s, ReadOnlySpan<short> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, int inputZero, int outputZero,
        int min, int max, Int8Path path)
    {
        _s = s;
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

        // Small maps: channel blocks, as the float kernel does for its smaller ones.
        _lanes = s.OutWidth > BlockedMaxWidth ? 0 : path switch
        {
            Int8Path.Avx512 => 16,
            Int8Path.Avx2 or Int8Path.AvxVnni => 8,
            Int8Path.Vector128 => 4,
            _ => 0,
        };
        if (_lanes > 0)
        {
            int v = _lanes, blocks = (s.OutChannels + v - 1) / v;
            _blockWeights = new int[blocks * taps * v];
            _blockBias = new int[blocks * v];
            _blockScale = new float[blocks * v];
            for (int c = 0; c < s.OutChannels; c++)
            {
                for (int t = 0; t < taps; t++)
                {
                    _blockWeights[((((c / v) * taps) + t) * v) + (c % v)] = _weights[(c * taps) + t];
                }

                _blockBias[c] = b[c];
                _blockScale[c] = scale[c];
            }

            _blockTaps = new int[taps];
            for (int ky = 0; ky < s.KernelHeight; ky++)
            {
                for (int kx = 0; kx < s.KernelWidth; kx++)
                {
                    _blockTaps[(ky * s.KernelWidth) + kx] = (((ky * s.DilationHeight) * _phases.PaddedWidth) + (kx * s.DilationWidth)) * v;
                }
            }
        }

        Algorithm = "int8-depthwise-" + (_lanes > 0 ? "blocked-" : string.Empty) + Int8Paths.Name(path);
    }

    public Int8Path Path { get; }

    public string Algorithm { get; }

    // The plane, plus 64 bytes of slack: vector loads of the last tap may read past the run (never used).
    private long PlaneBytes => MemoryPlan.Align(_phases.PlaneElements + 64 + _phases.PaddedWidth);

    private long RunBytes => MemoryPlan.Align(((long)_phases.RunLength + 16) * sizeof(int));

    // Plane, int32 run, and the run requantized to bytes; or, blocked, the padded input tile [PaddedHeight][PaddedWidth][lanes]
    // (plus a vector of slack), the output tile [OH·OW][lanes] and, for 8 or 16 lanes, the block's input transposed [H·W][lanes].
    private long ThreadBytes => _lanes > 0
        ? TileBytes + OutTileBytes + (_lanes >= 8 ? MemoryPlan.Align((long)_s.InHeight * _s.InWidth * _lanes) : 0)
        : PlaneBytes + RunBytes + MemoryPlan.Align(_phases.RunLength + 64L);

    private long OutTileBytes => MemoryPlan.Align((long)_s.OutHeight * _s.OutWidth * _lanes);

    private long TileBytes => MemoryPlan.Align(((long)_phases.PaddedHeight * _phases.PaddedWidth * _lanes) + 64);

    /// <summary>Scratch bytes of one run for <paramref name="threads"/> threads.</summary>
    public long ScratchBytes(int threads) => ThreadBytes * threads;

    /// <summary>Convolves one image.</summary>
    public void Run(byte* x, byte* y, byte* scratch, WorkerPool pool)
    {
        _x = x;
        _y = y;
        _scratch = scratch;
        pool.Run(this, _lanes > 0 ? (_s.OutChannels + _lanes - 1) / _lanes : _s.OutChannels);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        if (_lanes > 0)
        {
            ExecuteBlocked(begin, end, threadIndex);
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

    // Channel blocks [begin, end): the block's codes transposed into a tile padded with the input zero point, the
    // lanes' int32 sums of every output pixel in one vector, requantized per lane, and transposed back.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ExecuteBlocked(int begin, int end, int threadIndex)
    {
        byte* tile = _scratch + (threadIndex * ThreadBytes);
        byte* outTile = tile + TileBytes;
        int v = _lanes, taps = _blockTaps.Length, pw = _phases.PaddedWidth;
        int h = _s.InHeight, w = _s.InWidth;
        long inPlane = (long)h * w, pixels = (long)_s.OutHeight * _s.OutWidth;
        new Span<byte>(tile, (int)TileBytes).Fill(_inputZero);
        int rows = Math.Min(h, _phases.PaddedHeight - _s.PadTop), cols = Math.Min(w, pw - _s.PadLeft);
        fixed (int* offs = _blockTaps, weights = _blockWeights, bias = _blockBias)
        fixed (float* scale = _blockScale)
        {
            for (int b = begin; b < end; b++)
            {
                int c0 = b * v, n = Math.Min(v, _s.OutChannels - c0);
                if (n == v && v >= 8)
                {
                    // Full blocks of 16 or 8 channels: byte transposes of 16 pixels at a time over the flat planes,
                    // then whole rows into the tile (and back the same way).
                    byte* flat = outTile + OutTileBytes;
                    ToPixels(_x + (c0 * inPlane), inPlane, flat, v);
                    for (int iy = 0; iy < rows; iy++)
                    {
                        Buffer.MemoryCopy(flat + ((long)iy * w * v), tile + ((((long)(iy + _s.PadTop) * pw) + _s.PadLeft) * v), cols * v, cols * v);
                    }

                    BlockedPixels(tile, weights + ((long)b * taps * v), bias + (b * v), scale + (b * v), offs, taps, outTile);
                    ToPlanes(outTile, pixels, _y + (c0 * pixels), v);
                    continue;
                }

                for (int j = 0; j < n; j++)
                {
                    byte* src = _x + ((c0 + j) * inPlane);
                    for (int iy = 0; iy < rows; iy++)
                    {
                        byte* d = tile + ((((long)(iy + _s.PadTop) * pw) + _s.PadLeft) * v) + j;
                        byte* sr = src + ((long)iy * w);
                        for (int ix = 0; ix < cols; ix++)
                        {
                            d[ix * v] = sr[ix];
                        }
                    }
                }

                BlockedPixels(tile, weights + ((long)b * taps * v), bias + (b * v), scale + (b * v), offs, taps, outTile);
                for (int j = 0; j < n; j++)
                {
                    byte* dst = _y + ((c0 + j) * pixels);
                    for (long p = 0; p < pixels; p++)
                    {
                        dst[p] = outTile[(p * v) + j];
                    }
                }
            }
        }
    }

    // pixels[p][j] = planes[j·count + p] for v (8 or 16) channel planes of count bytes.
    private static void ToPixels(byte* planes, long count, byte* pixels, int v)
    {
        long p = 0;
        for (; p + 16 <= count; p += 16)
        {
            StridedBytes.Transpose(planes + p, count, v, 16, pixels + (p * v), v);
        }

        for (; p < count; p++)
        {
            for (int j = 0; j < v; j++)
            {
                pixels[(p * v) + j] = planes[(j * count) + p];
            }
        }
    }

    // planes[j·count + p] = pixels[p][j]: the inverse of ToPixels.
    private static void ToPlanes(byte* pixels, long count, byte* planes, int v)
    {
        long p = 0;
        for (; p + 16 <= count; p += 16)
        {
            StridedBytes.Transpose(pixels + (p * v), v, 16, v, planes + p, count);
        }

        for (; p < count; p++)
        {
            for (int j = 0; j < v; j++)
            {
                planes[(j * count) + p] = pixels[(p * v) + j];
            }
        }
    }

    // out[oy·OW + ox][lanes] = requantize(Σ_t w[t] · tile[(oy·sh·PW + ox·sw)·lanes + offs[t]]), per lane (channel).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BlockedPixels(byte* tile, int* w, int* bias, float* scale, int* offs, int taps, byte* dst)
    {
        int v = _lanes, pw = _phases.PaddedWidth, sh = _s.StrideHeight, sw = _s.StrideWidth, ow = _s.OutWidth;
        for (int oy = 0; oy < _s.OutHeight; oy++)
        {
            byte* row = tile + ((long)oy * sh * pw * v);
            byte* o = dst + ((long)oy * ow * v);
            for (int ox = 0; ox < ow; ox++)
            {
                byte* p = row + (ox * sw * v);
                byte* y = o + (ox * v);
                if (v == 16)
                {
                    Vector512<int> acc = default;
                    for (int t = 0; t < taps; t++)
                    {
                        acc += Avx512F.ConvertToVector512Int32(Vector128.Load(p + offs[t])) * Vector512.Load(w + (t * 16));
                    }

                    Vector512<float> f = Avx512F.ConvertToVector512Single(acc + Vector512.Load(bias)) * Vector512.Load(scale);
                    Vector512<int> q = Avx512F.ConvertToVector512Int32(f) + Vector512.Create(_requant.ZeroPoint);
                    q = Vector512.Min(Vector512.Max(q, Vector512.Create(_requant.Min)), Vector512.Create(_requant.Max));
                    Avx512F.ConvertToVector128Byte(q).Store(y);
                }
                else if (v == 8)
                {
                    Vector256<int> acc = default;
                    for (int t = 0; t < taps; t++)
                    {
                        acc += Avx2.ConvertToVector256Int32(p + offs[t]) * Vector256.Load(w + (t * 8));
                    }

                    Vector256<float> f = Avx.ConvertToVector256Single(acc + Vector256.Load(bias)) * Vector256.Load(scale);
                    Vector256<int> q = Avx.ConvertToVector256Int32(f) + Vector256.Create(_requant.ZeroPoint);
                    Requantizer.StoreCodes(Vector256.Min(Vector256.Max(q, Vector256.Create(_requant.Min)), Vector256.Create(_requant.Max)), y);
                }
                else
                {
                    Vector128<int> acc = default;
                    for (int t = 0; t < taps; t++)
                    {
                        acc += Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(uint*)(p + offs[t])).AsByte())).AsInt32() * Vector128.Load(w + (t * 4));
                    }

                    Vector128<float> f = Vector128.Round(Vector128.ConvertToSingle(acc + Vector128.Load(bias)) * Vector128.Load(scale));
                    Vector128<int> q = Vector128.ConvertToInt32(f) + Vector128.Create(_requant.ZeroPoint);
                    q = Vector128.Min(Vector128.Max(q, Vector128.Create(_requant.Min)), Vector128.Create(_requant.Max));
                    Vector128<ushort> s16 = Vector128.Narrow(q, q).AsUInt16();
                    *(uint*)y = Vector128.Narrow(s16, s16).AsUInt32().ToScalar();
                }
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
                new Span<byte>(line, width).Fill(_inputZero);
            }
            else
            {
                int left = Math.Min(s.PadLeft, width);
                int copy = Math.Clamp(width - left, 0, s.InWidth);
                new Span<byte>(line, left).Fill(_inputZero);
                new ReadOnlySpan<byte>(x + ((long)iy * s.InWidth), copy).CopyTo(new Span<byte>(line + left, copy));
                new Span<byte>(line + left + copy, width - left - copy).Fill(_inputZero);
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
}
