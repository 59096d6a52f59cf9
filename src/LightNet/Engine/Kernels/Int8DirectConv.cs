using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// Quantized dense 2-D convolution without im2col or packing: output channels in the lanes, activations broadcast. The
/// image is first copied into a padded pixel-major buffer (every pixel's input channels contiguous, rounded up to a whole
/// step, the border filled with the input zero point, so it adds nothing after the zero-point correction); then each tile
/// of 6 output pixels × 16 output channels sums, for every tap and every step of input channels, one pair of 32-byte
/// weight registers against the 6 pixels' 4 bytes broadcast (12 running int32 registers, 2 weight loads and 6 broadcasts
/// per 12 multiply instructions, the whole depth in registers) and requantizes from the registers into a pixel-major
/// output buffer, which is transposed back to NCHW at the end. Three forms of the step: AVX-VNNI <c>vpdpbusd</c> on 4 uint8
/// channels × int8 weights (<see cref="Int8Path.AvxVnni"/>); on <see cref="Int8Path.Avx2"/>, where every pair of weights
/// has |w0| + |w1| ≤ 128 (<see cref="BytePairsFit"/>: 7-bit weights), <c>vpmaddubsw</c> + <c>vpmaddwd</c> by ones on the
/// same bytes (3 instructions per 32 products, reading pixel-major codes where they are: 1.2× faster on MobileNetV2,
/// Zen 3), else <c>vpmaddwd</c> on 2 channels zero-extended to 16 bits in the copy × int16 weights (4 instructions per
/// 32 products, exact for any weights, like the GEMM's). A last tile of at most 3 pixels and a last block of at most 8
/// channels take smaller register blocks (the last pixel of a 7×7 map, the 8 channels of a 24-channel layer). Pixels are numbered across
/// rows (each has its own input offset), so a 7×7 map is 9 tiles of 6 (the last holds one pixel), not rows of 6 + 1.
/// The sums start at the bias. A tile runs through a group of channel blocks before the next tile (the pixels' bytes
/// stay in L1 for all of them; one call, so a 1×1 layer of small depth pays its set-up once per tile, not once per
/// block). Work items are (group of 16-channel blocks, run of pixel tiles), so two threads share even a 7×7 layer.
/// </summary>
internal sealed unsafe class Int8DirectConv : IInt8Convolution
{
    /// <summary>Output pixels per tile (the register block: 6 × 2 accumulators + 2 weights + 1 broadcast of 16 registers).</summary>
    public const int PixelTile = 6;

    /// <summary>Output channels per block (two 8-lane int32 registers).</summary>
    public const int ChannelBlock = 16;

    /// <summary>
    /// Weight bytes of the channel blocks a tile of pixels runs through before the next tile (its input bytes are read
    /// once for all of them, and the blocks' weights stay in L1): one block of a 3×3 layer from 256 channels (36 KiB),
    /// all of MobileNetV2's 1×1 layers up to 96 → 576. Kernel timings on Zen 5 between 16 and 64 KiB differ by noise.
    /// </summary>
    private const int GroupWeightBytes = 32 * 1024;

    private readonly Conv2dShape _s;
    private readonly byte[] _w;    // [block][tap][step][16 oc][4 c] int8 (VNNI) or [block][tap][step][16 oc][2 c] int16
    private readonly int[] _bias;  // per padded output channel, zero-point correction included
    private readonly float[] _scale;
    private readonly int[] _pixelOffsets; // [tile][6]: byte offset of each output pixel's first tap in the padded input
    private readonly int[] _tapOffsets;
    private readonly byte _inputZero;
    private readonly int _outputZero, _min, _max;
    private readonly bool _wide; // 16-bit activations and weights (vpmaddwd)
    private readonly bool _bytePairs; // the AVX2 path on weights whose byte pairs cannot saturate (vpmaddubsw + vpmaddwd)
    private readonly bool _wideEpilogue; // requantization in 512-bit registers
    private readonly int _steps, _inPixel, _outPixel, _paddedHeight, _paddedWidth, _rowPixels, _tiles, _blocks, _chunks;
    private readonly int _groupBlocks, _groups; // channel blocks a tile runs through before the next tile, and their groups
    private readonly bool _outputPixelMajor, _inPlace;
    private readonly PixelMajorCodes.Passes _passes;
    private byte* _padded, _pixelMajor;

    /// <param name="s">The geometry (one group).</param>
    /// <param name="weights">[Cout, Cin·kh·kw] zero-point-centred int8 weights.</param>
    /// <param name="bias">Per output channel int32 bias (at input scale × weight scale).</param>
    /// <param name="scale">Per output channel multiplier input_scale·weight_scale/output_scale.</param>
    /// <param name="inputZero">The input zero point (uint8 domain).</param>
    /// <param name="outputZero">The output zero point.</param>
    /// <param name="min">Lowest output code (a fused ReLU raises it to the zero point).</param>
    /// <param name="max">Highest output code.</param>
    /// <param name="path"><see cref="Int8Path.AvxVnni"/> or <see cref="Int8Path.Avx2"/>.</param>
    /// <param name="isa">The session's level: on <see cref="Isa.Avx512"/> each pixel's 16 sums are requantized in one 512-bit register.</param>
    /// <param name="threads">Worker threads (for the work split).</param>
    /// <param name="inputPixelMajor">The input is pixel-major ([H][W][C] codes, <see cref="QuantizedLayout"/>) instead of NCHW.</param>
    /// <param name="outputPixelMajor">Write the output pixel-major instead of NCHW.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Int8DirectConv(in Conv2dShape s, ReadOnlySpan<short> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, int inputZero, int outputZero,
        int min, int max, Int8Path path, Isa isa, int threads, bool inputPixelMajor = false, bool outputPixelMajor = false)
    {
        if (!Supports(s, path))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator, $"Int8DirectConv: {s} on the {Int8Paths.Name(path)} path is not a dense convolution this machine runs directly.");
        }

        _s = s;
        _inputZero = (byte)inputZero;
        _outputZero = outputZero;
        _min = min;
        _max = max;
        int taps = s.KernelHeight * s.KernelWidth, depth = s.InChannels * taps;
        // Stems included: on a model's NCHW image the byte form's copy is a plain interleave (MobileNetV2's stem 0.30 against
        // 0.31–0.33 ms, ResNet-18's 2.24–2.29 against 2.34–2.36, Zen 3); on pixel-major input a 3-channel stem ran faster in
        // the 16-bit form's two steps a tap (kernel check: 2519 against 2835 µs), a case no model has.
        _bytePairs = path == Int8Path.Avx2 && BytePairsFit(s, weights);
        _wide = path == Int8Path.Avx2 && !_bytePairs;
        _wideEpilogue = path == Int8Path.AvxVnni && isa == Isa.Avx512 && Avx512F.IsSupported;
        int perStep = _wide ? 2 : 4; // channels per 4 broadcast bytes
        _steps = (s.InChannels + perStep - 1) / perStep;
        _inPixel = _steps * 4;
        _blocks = (s.OutChannels + ChannelBlock - 1) / ChannelBlock;
        _outPixel = _blocks * ChannelBlock;
        (_paddedHeight, _paddedWidth) = PixelMajorCodes.PaddedSize(s);
        _outputPixelMajor = outputPixelMajor;

        // A pixel-major input whose pixels are whole steps of bytes, read without padding, is read where it is.
        _inPlace = inputPixelMajor && !_wide && s.InChannels == _inPixel && s.PadTop == 0 && s.PadLeft == 0
            && _paddedHeight <= s.InHeight && _paddedWidth <= s.InWidth;
        _rowPixels = _inPlace ? s.InWidth : _paddedWidth;

        _w = GC.AllocateArray<byte>(_blocks * taps * _steps * ChannelBlock * 4, pinned: true);
        _bias = new int[_outPixel];
        _scale = new float[_outPixel];
        for (int o = 0; o < s.OutChannels; o++)
        {
            int sum = 0;
            for (int c = 0; c < s.InChannels; c++)
            {
                for (int t = 0; t < taps; t++)
                {
                    short v = weights[(o * depth) + (c * taps) + t];
                    sum += v;
                    int at = (((((o / ChannelBlock * taps) + t) * _steps) + (c / perStep)) * ChannelBlock * 4) + (o % ChannelBlock * 4);
                    if (_wide)
                    {
                        Unsafe.WriteUnaligned(ref _w[at + (c % 2 * 2)], v);
                    }
                    else
                    {
                        _w[at + (c % 4)] = (byte)(sbyte)v;
                    }
                }
            }

            _bias[o] = bias[o] - (inputZero * sum);
            _scale[o] = scale[o];
        }

        (_tapOffsets, _pixelOffsets) = PixelMajorCodes.Offsets(s, _rowPixels, _inPixel, PixelTile);
        _tiles = _pixelOffsets.Length / PixelTile;

        int blockBytes = taps * _steps * ChannelBlock * 4;
        _groups = (_blocks + Math.Max(1, GroupWeightBytes / blockBytes) - 1) / Math.Max(1, GroupWeightBytes / blockBytes);
        _groupBlocks = (_blocks + _groups - 1) / _groups; // even groups
        _chunks = PixelMajorCodes.TileRuns(threads, _groups, _tiles, 4);
        _passes = new PixelMajorCodes.Passes(new PixelMajorCodes.PaddedRows(s, _paddedWidth, _inPixel, _wide, _inputZero, inputPixelMajor),
            _paddedHeight, _outPixel, s.OutChannels, s.OutHeight * s.OutWidth);
        Algorithm = "int8-direct-" + Int8Paths.Name(path) + (_bytePairs ? "-u8s8" : string.Empty) + QuantizedLayout.Suffix(inputPixelMajor, outputPixelMajor);
    }

    /// <inheritdoc/>
    public string Algorithm { get; }

    /// <inheritdoc/>
    public long Macs => _s.Macs;

    private long PaddedBytes => _inPlace ? 0 : MemoryPlan.Align((long)_paddedHeight * _paddedWidth * _inPixel);

    /// <inheritdoc/>
    public long ScratchBytes => PaddedBytes + (_outputPixelMajor ? 0 : MemoryPlan.Align((long)_tiles * PixelTile * _outPixel));

    /// <summary>Whether this kernel runs <paramref name="s"/> on <paramref name="path"/> here: one group, and the CPU has the path.</summary>
    public static bool Supports(in Conv2dShape s, Int8Path path) =>
        s.Groups == 1 && path is Int8Path.AvxVnni or Int8Path.Avx2 && Int8Paths.IsSupported(path);

    /// <summary>Whether the <c>vpmaddubsw</c> form is exact for <paramref name="weights"/> ([Cout, Cin·kh·kw]): <see cref="Int8BytePairs.Fit"/>.</summary>
    public static bool BytePairsFit(in Conv2dShape s, ReadOnlySpan<short> weights) =>
        Int8BytePairs.Fit(weights, s.OutChannels, s.InChannels / s.Groups, s.KernelHeight * s.KernelWidth);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(byte* x, byte* y, byte* scratch, WorkerPool pool)
    {
        _padded = _inPlace ? x : scratch;
        _pixelMajor = _outputPixelMajor ? y : scratch + PaddedBytes;
        if (!_inPlace)
        {
            _passes.CopyIn(pool, x, scratch);
        }

        pool.Run(this, _groups * _chunks);
        if (!_outputPixelMajor)
        {
            _passes.ToPlanar(pool, _pixelMajor, y);
        }
    }

    /// <summary>Computes work items [begin, end): (group of channel blocks, run of pixel tiles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public void Execute(int begin, int end, int threadIndex)
    {
        int taps = _tapOffsets.Length;
        byte* part = stackalloc byte[PixelTile * ChannelBlock];
        fixed (byte* w0 = _w)
        fixed (int* pixelOffsets = _pixelOffsets, tapOffsets = _tapOffsets, bias = _bias)
        fixed (float* scale = _scale)
        {
            long outStride = _outputPixelMajor ? _s.OutChannels : _outPixel;
            int pixels = _s.OutHeight * _s.OutWidth;
            long blockBytes = (long)taps * _steps * ChannelBlock * 4;
            // Blocks run 16 channels wide straight into the output: all but a last block of at most 8 channels (it takes
            // the 8-channel tile) or, in a pixel-major output that holds exactly Cout channels a pixel, a partial one.
            int lastChannels = _s.OutChannels - ((_blocks - 1) * ChannelBlock);
            bool eightLast = lastChannels <= ChannelBlock / 2;
            int wholeWidth = eightLast || (_outputPixelMajor && lastChannels < ChannelBlock) ? _blocks - 1 : _blocks;

            // The last block goes straight into a pixel-major output when it fills its tile's width, else through a small buffer.
            bool lastDirect = !_outputPixelMajor || lastChannels == (eightLast ? ChannelBlock / 2 : ChannelBlock);
            for (int item = begin; item < end; item++)
            {
                int group = item / _chunks, chunk = item - (group * _chunks);
                int t0 = (int)((long)chunk * _tiles / _chunks), t1 = (int)((long)(chunk + 1) * _tiles / _chunks);
                int b0 = group * _groupBlocks, b1 = Math.Min(_blocks, b0 + _groupBlocks), full = Math.Min(b1, wholeWidth) - b0;
                var e = new Epilogue(bias + (b0 * ChannelBlock), scale + (b0 * ChannelBlock), _outputZero, _min, _max);
                byte* w = w0 + (b0 * blockBytes);
                for (int tile = t0; tile < t1; tile++)
                {
                    int first = tile * PixelTile;
                    int count = Math.Min(PixelTile, pixels - first);
                    byte* y = _pixelMajor + ((long)first * outStride) + (b0 * ChannelBlock);
                    if (full > 0)
                    {
                        Tile(_padded, pixelOffsets + first, tapOffsets, taps, w, blockBytes, full, e, y, outStride, count, false);
                    }

                    if (b0 + full < b1)
                    {
                        // The last block: no call or branch in the tile (its accumulators stay in registers).
                        byte* to = lastDirect ? y + (full * ChannelBlock) : part;
                        Tile(_padded, pixelOffsets + first, tapOffsets, taps, w + (full * blockBytes), blockBytes, 1, e.Skip(full), to,
                            lastDirect ? outStride : ChannelBlock, count, eightLast);
                        for (int j = 0; !lastDirect && j < count; j++)
                        {
                            Buffer.MemoryCopy(part + (j * ChannelBlock), y + (full * ChannelBlock) + (j * outStride), lastChannels, lastChannels);
                        }
                    }
                }
            }
        }
    }

    // One tile of pixels through `blocks` channel blocks on this kernel's step and epilogue, in the register block that
    // fits: 3 pixels for a tile of at most 3 (the last of a 7×7 map holds one), 8 channels for a block of at most 8.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tile(byte* x, int* pixelOffsets, int* tapOffsets, int taps, byte* w, long blockBytes, int blocks, in Epilogue e, byte* y, long stride, int count,
        bool eight)
    {
        bool three = count <= PixelTile / 2;
        if (_bytePairs)
        {
            Tile<MultiplyAddBytePairs>(x, pixelOffsets, tapOffsets, taps, w, blockBytes, blocks, e, y, stride, count, three, eight);
        }
        else if (_wide)
        {
            Tile<MultiplyAddPairs>(x, pixelOffsets, tapOffsets, taps, w, blockBytes, blocks, e, y, stride, count, three, eight);
        }
        else if (_wideEpilogue)
        {
            Tile<DotQuadsRequantized512>(x, pixelOffsets, tapOffsets, taps, w, blockBytes, blocks, e, y, stride, count, three, eight);
        }
        else
        {
            Tile<DotQuads>(x, pixelOffsets, tapOffsets, taps, w, blockBytes, blocks, e, y, stride, count, three, eight);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tile<TStep>(byte* x, int* pixelOffsets, int* tapOffsets, int taps, byte* w, long blockBytes, int blocks, in Epilogue e, byte* y, long stride, int count,
        bool three, bool eight)
        where TStep : struct, IStep
    {
        switch ((three, eight))
        {
            case (false, false):
                Tile<TStep, SixBySixteen>(x, pixelOffsets, tapOffsets, taps, _steps, w, blockBytes, blocks, e, y, stride, count);
                break;
            case (true, false):
                Tile<TStep, ThreeBySixteen>(x, pixelOffsets, tapOffsets, taps, _steps, w, blockBytes, blocks, e, y, stride, count);
                break;
            case (false, true):
                Tile<TStep, SixByEight>(x, pixelOffsets, tapOffsets, taps, _steps, w, blockBytes, blocks, e, y, stride, count);
                break;
            default:
                Tile<TStep, ThreeByEight>(x, pixelOffsets, tapOffsets, taps, _steps, w, blockBytes, blocks, e, y, stride, count);
                break;
        }
    }

    // 6 (or 3) pixels × 16 (or 8) output channels of each of `blocks` channel blocks in turn (weights blockBytes apart),
    // over every tap and input step, the sums starting at the bias; requantized into 16 (or 8) bytes per pixel at
    // y + j·stride, the next block's 16 bytes further. The smaller blocks skip the accumulators they do not need.
    // Never inlined: inlined into the dispatch above, its epilogue was left out of line and the layers took 1.3× as long.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Tile<TStep, TBlock>(byte* x, int* pixelOffsets, int* tapOffsets, int taps, int steps, byte* w, long blockBytes, int blocks, in Epilogue e, byte* y, long stride, int count)
        where TStep : struct, IStep
        where TBlock : struct, IRegisterBlock
    {
        byte* p0 = x + pixelOffsets[0], p1 = x + pixelOffsets[1], p2 = x + pixelOffsets[2];
        byte* p3 = x + pixelOffsets[3], p4 = x + pixelOffsets[4], p5 = x + pixelOffsets[5];
        nint end = steps * 4;
        for (int block = 0; block < blocks; block++, w += blockBytes, y += ChannelBlock)
        {
            Vector256<int> a0 = e.Bias(block, 0), b0 = TBlock.Eight ? default : e.Bias(block, 8);
            Vector256<int> a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
            Vector256<int> b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0;
            byte* wt = w;
            if (steps == 1)
            {
                // One input step (a stem): the taps in one flat loop.
                for (int t = 0; t < taps; t++, wt += 64)
                {
                    Step(tapOffsets[t], wt);
                }
            }
            else
            {
                for (int t = 0; t < taps; t++)
                {
                    nint to = tapOffsets[t];
                    for (nint c = to; c < to + end; c += 4, wt += 64)
                    {
                        Step(c, wt);
                    }
                }
            }

            Store(e, a0, b0, y, block);
            if (count > 1) Store(e, a1, b1, y + stride, block);
            if (count > 2) Store(e, a2, b2, y + (2 * stride), block);
            if (!TBlock.Three)
            {
                if (count > 3) Store(e, a3, b3, y + (3 * stride), block);
                if (count > 4) Store(e, a4, b4, y + (4 * stride), block);
                if (count > 5) Store(e, a5, b5, y + (5 * stride), block);
            }

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            static void Store(in Epilogue e, Vector256<int> low, Vector256<int> high, byte* to, int block)
            {
                if (TBlock.Eight)
                {
                    e.StoreEight(low, to, block);
                }
                else
                {
                    e.Store<TStep>(low, high, to, block);
                }
            }

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            void Step(nint c, byte* w)
            {
                Vector256<byte> wa = Vector256.Load(w), wb = TBlock.Eight ? default : Vector256.Load(w + 32);
                Vector256<byte> v = Vector256.Create(*(int*)(p0 + c)).AsByte();
                a0 = TStep.Add(a0, v, wa);
                if (!TBlock.Eight) b0 = TStep.Add(b0, v, wb);
                v = Vector256.Create(*(int*)(p1 + c)).AsByte();
                a1 = TStep.Add(a1, v, wa);
                if (!TBlock.Eight) b1 = TStep.Add(b1, v, wb);
                v = Vector256.Create(*(int*)(p2 + c)).AsByte();
                a2 = TStep.Add(a2, v, wa);
                if (!TBlock.Eight) b2 = TStep.Add(b2, v, wb);
                if (!TBlock.Three)
                {
                    v = Vector256.Create(*(int*)(p3 + c)).AsByte();
                    a3 = TStep.Add(a3, v, wa);
                    if (!TBlock.Eight) b3 = TStep.Add(b3, v, wb);
                    v = Vector256.Create(*(int*)(p4 + c)).AsByte();
                    a4 = TStep.Add(a4, v, wa);
                    if (!TBlock.Eight) b4 = TStep.Add(b4, v, wb);
                    v = Vector256.Create(*(int*)(p5 + c)).AsByte();
                    a5 = TStep.Add(a5, v, wa);
                    if (!TBlock.Eight) b5 = TStep.Add(b5, v, wb);
                }
            }
        }
    }

    /// <summary>The register block of a tile as a type, so one source serves each (the JIT drops the unused accumulators).</summary>
    private interface IRegisterBlock
    {
        /// <summary>3 pixels instead of 6 (a short last tile).</summary>
        static abstract bool Three { get; }

        /// <summary>8 output channels instead of 16 (a last block of at most 8).</summary>
        static abstract bool Eight { get; }
    }

    private struct SixBySixteen : IRegisterBlock
    {
        public static bool Three => false;

        public static bool Eight => false;
    }

    private struct ThreeBySixteen : IRegisterBlock
    {
        public static bool Three => true;

        public static bool Eight => false;
    }

    private struct SixByEight : IRegisterBlock
    {
        public static bool Three => false;

        public static bool Eight => true;
    }

    private struct ThreeByEight : IRegisterBlock
    {
        public static bool Three => true;

        public static bool Eight => true;
    }

    /// <summary>One multiply step: 8 int32 lanes (output channels) plus the products of 4 broadcast bytes with their weights.</summary>
    private interface IStep
    {
        /// <summary>Whether the epilogue requantizes a pixel's 16 sums in one 512-bit register (the AVX-512 level).</summary>
        static virtual bool Requantize512 => false;

        static abstract Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<byte> w);
    }

    /// <summary><c>vpdpbusd</c>: 4 uint8 activations × 4 int8 weights per lane.</summary>
    private struct DotQuads : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<byte> w) => AvxVnni.MultiplyWideningAndAdd(acc, x, w.AsSByte());
    }

    /// <summary><see cref="DotQuads"/> with the 512-bit epilogue: half the requantization instructions of two 256-bit halves.</summary>
    private struct DotQuadsRequantized512 : IStep
    {
        public static bool Requantize512 => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<byte> w) => AvxVnni.MultiplyWideningAndAdd(acc, x, w.AsSByte());
    }

    /// <summary><c>vpmaddwd</c> + <c>vpaddd</c>: 2 zero-extended activations × 2 int16 weights per lane.</summary>
    private struct MultiplyAddPairs : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<byte> w) => acc + Avx2.MultiplyAddAdjacent(x.AsInt16(), w.AsInt16());
    }

    /// <summary>The byte-pair step (<see cref="Int8BytePairs"/>): exact only where <see cref="BytePairsFit"/>.</summary>
    private struct MultiplyAddBytePairs : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<byte> w) => Int8BytePairs.Add(acc, x, w.AsSByte());
    }

    /// <summary>
    /// The requantization (the <see cref="Requantizer"/> formula) of a group of blocks' sums, 16 channels into 16 bytes;
    /// the bias is where the sums start.
    /// </summary>
    private readonly struct Epilogue(int* bias, float* scale, int zero, int min, int max)
    {
        private readonly int* _bias = bias;
        private readonly float* _scale = scale;
        private readonly int _zero = zero, _min = min, _max = max;

        /// <summary>The epilogue of the blocks from <paramref name="blocks"/> on.</summary>
        public Epilogue Skip(int blocks) => new(_bias + (blocks * ChannelBlock), _scale + (blocks * ChannelBlock), _zero, _min, _max);

        /// <summary>Block <paramref name="block"/>'s bias of 8 channels from <paramref name="channel"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> Bias(int block, int channel) => Vector256.Load(_bias + (block * ChannelBlock) + channel);

        /// <summary>Requantizes 8 channels into 8 bytes at <paramref name="y"/> (a block of at most 8 channels).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StoreEight(Vector256<int> low, byte* y, int block)
        {
            Vector256<int> q = Requantizer.Codes(low, Vector256<int>.Zero, Vector256.Load(_scale + (block * ChannelBlock)),
                Vector256.Create(_zero), Vector256.Create(_min), Vector256.Create(_max));
            Vector128<short> s = Sse2.PackSignedSaturate(q.GetLower(), q.GetUpper());
            *(long*)y = Sse2.PackUnsignedSaturate(s, s).AsInt64().ToScalar();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store<TStep>(Vector256<int> low, Vector256<int> high, byte* y, int block)
            where TStep : struct, IStep
        {
            float* scale = _scale + (block * ChannelBlock);
            if (TStep.Requantize512)
            {
                Vector512<int> q = Requantizer.Codes(Avx512F.InsertVector256(low.ToVector512Unsafe(), high, 1), Vector512<int>.Zero, Vector512.Load(scale),
                    Vector512.Create(_zero), Vector512.Create(_min), Vector512.Create(_max));
                Avx512F.ConvertToVector128Byte(q).Store(y);
                return;
            }

            Vector256<int> z = Vector256.Create(_zero), lo = Vector256.Create(_min), hi = Vector256.Create(_max);
            Vector256<int> q0 = Requantizer.Codes(low, Vector256<int>.Zero, Vector256.Load(scale), z, lo, hi);
            Vector256<int> q1 = Requantizer.Codes(high, Vector256<int>.Zero, Vector256.Load(scale + 8), z, lo, hi);
            Vector128<short> s0 = Sse2.PackSignedSaturate(q0.GetLower(), q0.GetUpper());
            Vector128<short> s1 = Sse2.PackSignedSaturate(q1.GetLower(), q1.GetUpper());
            Sse2.PackUnsignedSaturate(s0, s1).Store(y);
        }
    }
}
