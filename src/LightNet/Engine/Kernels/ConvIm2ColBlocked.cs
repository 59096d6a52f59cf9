using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace LightNet.Engine.Kernels;

/// <summary>
/// A dense convolution on a small output map (ResNet-18's 7×7 layers) with the output channels, not the pixels, on
/// the vector lanes. The input is moved to channel blocks [Cb][H·W][V] (8×8 transposes), unfolded tap by tap into a
/// blocked im2col matrix [taps·Cb][P][V] (row (tap, c) at lane c % V: whole-vector copies, or zeros in the padding),
/// multiplied by the channel-blocked 1×1 kernel (<see cref="ConvPointwiseBlocked"/>, its K summed in cache-sized
/// chunks) into a blocked output, and moved back to planar with the residual and the activation. The planar im2col
/// GEMM puts pixels on the lanes, so a 49-pixel map fills its column tiles to 77 % and reads the whole weight matrix
/// per tile; here every vector is full whatever the map, and one K chunk's weights stay in the cache across the
/// pixel tiles. Input channels a multiple of the lanes (no padding rows inside the taps).
/// <para>
/// Direct (no im2col): the input goes to channel blocks with its padding, [Cb][Hp][Wp][V] with zero borders, and the
/// 1×1 kernel reads each K block (tap, input block) straight from there, a tap being an offset into the padded block
/// and the pixels of an output row stride·V floats apart. On large maps (SqueezeNet's 55×55) the im2col matrix is 9
/// times the input and does not stay in the cache; the direct kernel reads the input where it lies. With input
/// channels that are not whole blocks (a stem's 3), the input stays planar, [C][Hp][Wp] with zero borders, and the
/// kernel broadcasts each K row (channel, tap) from its own offset.
/// </para>
/// </summary>
internal sealed unsafe class ConvIm2ColBlocked : IDisposable
{
    /// <summary>Input channels summed per chunk of the 1×1 kernel: a 12 KiB (8 lanes × 3 blocks) to 32 KiB (16 × 4) weight panel.</summary>
    internal const int KChunk = 128;

    /// <summary>
    /// Input channels summed per chunk of the direct kernel: its K runs across one output row's taps, so a chunk's
    /// partial sums would go through the whole output between chunks; up to 1024 (a 256 KiB panel of 4 blocks, in the
    /// L2) it is summed at once (kernel check on Zen 5: SqueezeNet 55×55 16→64 1.1–1.2× and ResNet-18 56×56 64→64
    /// 1.03× faster than in chunks of 128).
    /// </summary>
    internal const int DirectKChunk = 1024;

    private readonly Conv2dShape _s;
    private readonly ConvPointwiseBlocked _gemm;
    private readonly Activation _activation;
    private readonly int _v, _taps, _inBlocks, _outBlocks, _inPixels, _pixels;
    private readonly int _paddedHeight, _paddedWidth; // direct: the blocked input's rows and pixels per row with the padding
    private readonly bool _direct, _planarTaps, _fusedActivation, _inputBlocked, _outputBlocked;

    // Whether the kernel reads its input where it lies: im2col from a blocked input, or the direct form from a blocked
    // input that needs no padding (every tap inside the map: a 1×1 stride-2 downsample), whose blocks are already the
    // [Hp][Wp][V] planes the direct kernel reads.
    private readonly bool _inputInPlace;
    private readonly long _inFloats, _columnsFloats, _inBlockFloats;
    private readonly int[] _pixelOffsets; // where ChannelsToTile puts input pixel p in its block: p·V, or inside the padding
    private readonly PhaseWork _toBlocked, _unfold, _toPlanar;
    private float* _x, _y, _residual, _in, _cols, _blocked;

    /// <summary>
    /// Prepares <paramref name="s"/> (one group, input channels a multiple of <paramref name="v"/>, or any number with
    /// <paramref name="direct"/>) for <paramref name="v"/>-lane blocks (16 on AVX-512, 8 on AVX2, 4 on Vector128): <paramref name="weights"/>
    /// [Cout][Cin][kh][kw], <paramref name="bias"/> [Cout] or empty, <paramref name="activation"/> with a register form;
    /// <paramref name="direct"/> reads the taps from a padded input (blocked, or planar when the channels are not whole
    /// blocks) instead of an im2col matrix; <paramref name="residual"/> says whether runs add one (without, the activation
    /// is applied in the 1×1 kernel's registers). <paramref name="layout"/> says whether the input, and the output with
    /// the residual, are channel-blocked tensors [Cb][P][V] (<see cref="ConvLayout"/>) instead of planar ones: a blocked
    /// input is read where it lies (im2col) or copied row by row into the padded blocks (direct), and a blocked output is
    /// written by the 1×1 kernel itself, residual and activation in its registers.
    /// </summary>
    /// <exception cref="LightNetException">Grouped, channels not whole blocks (im2col, or a blocked input), lanes not 16, 8 or 4 or not the layout's, or an activation without a register form.</exception>
    public ConvIm2ColBlocked(in Conv2dShape s, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Activation activation, int v, int threads, bool direct = false, bool residual = true,
        ConvLayout layout = default)
    {
        if (!(direct && !layout.InputBlocked ? SupportsDirect(s, activation, v) : Supports(s, activation, v)) || (layout.AnyBlocked && layout.Lanes != v))
        {
            throw new LightNetException(ErrorCode.UnsupportedOperator,
                $"Conv: the im2col channel-blocked kernel takes a one-group convolution with whole blocks of input channels and a clamp or hard activation on 16, 8 or 4 lanes (got {s}, {activation.Kind}, {v} lanes).");
        }

        _s = s;
        _v = v;
        _activation = activation;
        _taps = s.KernelHeight * s.KernelWidth;
        _planarTaps = s.InChannels % v != 0;
        _inBlocks = _planarTaps ? s.InChannels : s.InChannels / v; // planar taps: one item per channel
        _outBlocks = (s.OutChannels + v - 1) / v;
        _inPixels = s.InHeight * s.InWidth;
        _pixels = s.OutHeight * s.OutWidth;
        int k = _taps * s.InChannels;

        // Row (tap, c) of the unfolded matrix is K index tap·Cin + c: the weights reordered from [Cout][Cin][taps]
        // (planar taps keep them: row (c, tap) is K index c·taps + tap).
        var reordered = new float[(long)s.OutChannels * k];
        for (int co = 0; co < s.OutChannels && !_planarTaps; co++)
        {
            for (int c = 0; c < s.InChannels; c++)
            {
                for (int t = 0; t < _taps; t++)
                {
                    reordered[((long)co * k) + ((long)t * s.InChannels) + c] = weights[(((co * s.InChannels) + c) * _taps) + t];
                }
            }
        }

        _direct = direct;
        _inputBlocked = layout.InputBlocked;
        _outputBlocked = layout.OutputBlocked;
        _fusedActivation = !residual || _outputBlocked;
        _paddedHeight = direct ? Math.Max(s.PadTop + s.InHeight, ((s.OutHeight - 1) * s.StrideHeight) + ((s.KernelHeight - 1) * s.DilationHeight) + 1) : s.InHeight;
        _paddedWidth = direct ? Math.Max(s.PadLeft + s.InWidth, ((s.OutWidth - 1) * s.StrideWidth) + ((s.KernelWidth - 1) * s.DilationWidth) + 1) : s.InWidth;
        int lanes = _planarTaps ? 1 : v;
        _inBlockFloats = (long)_paddedHeight * _paddedWidth * lanes;
        _pixelOffsets = new int[_planarTaps ? 0 : _inPixels]; // planar taps copy rows instead
        for (int p = 0; p < _pixelOffsets.Length; p++)
        {
            int iy = p / s.InWidth, ix = p - (iy * s.InWidth);
            _pixelOffsets[p] = direct ? (((iy + s.PadTop) * _paddedWidth) + ix + s.PadLeft) * v : p * v;
        }

        ConvPointwiseBlocked.DirectInput? taps = null;
        if (_planarTaps)
        {
            // K row (channel c, tap): channel c's padded plane, moved by the tap.
            var offsets = new long[k];
            for (int c = 0; c < s.InChannels; c++)
            {
                for (int t = 0; t < _taps; t++)
                {
                    int ky = t / s.KernelWidth, kx = t - (ky * s.KernelWidth);
                    offsets[(c * _taps) + t] = (c * _inBlockFloats) + ((long)ky * s.DilationHeight * _paddedWidth) + ((long)kx * s.DilationWidth);
                }
            }

            taps = new ConvPointwiseBlocked.DirectInput(offsets, PerRow: true, s.OutWidth, (long)s.StrideHeight * _paddedWidth, s.StrideWidth);
        }
        else if (direct)
        {
            // K block (tap, input block b): block b of the padded input, moved by the tap.
            var offsets = new long[_taps * _inBlocks];
            for (int t = 0; t < _taps; t++)
            {
                int ky = t / s.KernelWidth, kx = t - (ky * s.KernelWidth);
                for (int b = 0; b < _inBlocks; b++)
                {
                    offsets[(t * _inBlocks) + b] = (b * _inBlockFloats) + ((((long)ky * s.DilationHeight * _paddedWidth) + ((long)kx * s.DilationWidth)) * v);
                }
            }

            taps = new ConvPointwiseBlocked.DirectInput(offsets, PerRow: false, s.OutWidth, (long)s.StrideHeight * _paddedWidth * v, s.StrideWidth * v);
        }

        var unfolded = new Conv2dShape(k, s.OutHeight, s.OutWidth, s.OutChannels, s.OutHeight, s.OutWidth, 1, 1, 1, 1, 1, 1, 0, 0, 1);
        _gemm = new ConvPointwiseBlocked(unfolded, _planarTaps ? weights : reordered, bias, _fusedActivation ? activation : Activation.None, v, threads, planarInput: false, kChunk: direct ? DirectKChunk : KChunk, direct: taps);
        _inFloats = RoundUp(_inBlocks * _inBlockFloats);
        _columnsFloats = direct ? 0 : RoundUp((long)k * _pixels);
        _inputInPlace = _inputBlocked && (!direct || (s.PadTop == 0 && s.PadLeft == 0 && _paddedHeight == s.InHeight && _paddedWidth == s.InWidth));
        if (_inputInPlace)
        {
            _inFloats = 0;
        }

        ScratchBytes = (_inFloats + _columnsFloats + (_outputBlocked ? 0 : RoundUp(ConvLayout.BlockedElements(s.OutChannels, _pixels, v)))) * sizeof(float);
        Algorithm = (_planarTaps ? "direct-planar-" : direct ? "direct-" : "im2col-") + ConvLayout.KernelSuffix(v);
        _toBlocked = new PhaseWork(this, 0);
        _unfold = new PhaseWork(this, 1);
        _toPlanar = new PhaseWork(this, 2);
    }

    /// <summary>The kernel's name in profiles ("im2col-nchw16c-avx512", "direct-nchw8c-avx2", "direct-planar-nchw16c-avx512", ...).</summary>
    public string Algorithm { get; }

    /// <summary>Scratch of one run (the blocked input, the im2col matrix and the blocked output), a multiple of 64 bytes.</summary>
    public long ScratchBytes { get; }

    /// <summary>
    /// Runs one image: <paramref name="output"/>[Cout][P] = act(conv(<paramref name="input"/>) + bias + <paramref name="residual"/>),
    /// each planar or blocked as the layout says. The residual may alias the output; the input must not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* input, float* output, float* residual, byte* scratch, WorkerPool pool)
    {
        _x = input;
        _y = output;
        _residual = residual;
        _in = _inputInPlace ? input : (float*)scratch;
        _cols = (float*)scratch + _inFloats;
        _blocked = _outputBlocked ? output : _cols + _columnsFloats;
        if (_in != input)
        {
            pool.Run(_toBlocked, _direct ? _inBlocks * _s.InHeight : _inBlocks);
        }

        float* residualBlocked = _outputBlocked ? residual : null;
        if (_direct)
        {
            _gemm.Run(_in, _blocked, residualBlocked, pool);
        }
        else
        {
            pool.Run(_unfold, _taps * _inBlocks);
            _gemm.Run(_cols, _blocked, residualBlocked, pool);
        }

        if (_outputBlocked)
        {
            _x = _y = _residual = _in = _cols = _blocked = null;
            return;
        }

        pool.Run(_toPlanar, _outBlocks);
        _x = _y = _residual = _in = _cols = _blocked = null;
    }

    /// <summary>
    /// Whether the kernel takes <paramref name="s"/> on <paramref name="v"/> lanes: one group, input channels a
    /// multiple of the lanes, an activation with a register form.
    /// </summary>
    public static bool Supports(in Conv2dShape s, in Activation activation, int v) =>
        SupportsDirect(s, activation, v) && s.InChannels % v == 0;

    /// <summary>
    /// Whether the direct form takes <paramref name="s"/> on <paramref name="v"/> lanes: one group, an activation with a
    /// register form, any number of input channels (planar taps when they are not whole blocks).
    /// </summary>
    public static bool SupportsDirect(in Conv2dShape s, in Activation activation, int v) =>
        s.Groups == 1 && v is 16 or 8 or 4 && FusedActivation.TryCreate(activation, out _);

    /// <summary>Frees the 1×1 kernel's weights.</summary>
    public void Dispose() => _gemm.Dispose();

    private static long RoundUp(long floats) => (floats + 15) / 16 * 16;

    // im2col: input channel blocks [i0, i1), planar [C][H·W] → blocked [Cb][H·W][V]. Direct: items (block, input row)
    // [i0, i1) into [Cb][Hp][Wp][V] (planar taps: [C][Hp][Wp]), each row with its side padding, the first and last
    // row of a block with the padding rows above and below.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ToBlocked(int i0, int i1)
    {
        fixed (int* offsets = _pixelOffsets)
        {
            if (!_direct)
            {
                for (int b = i0; b < i1; b++)
                {
                    DepthwiseTiles.ChannelsToTile(_x + ((long)b * _v * _inPixels), _inPixels, _inPixels, _v, _v, _in + (b * _inBlockFloats), offsets);
                }

                return;
            }

            var s = _s;
            int lanes = _planarTaps ? 1 : _v, wp = _paddedWidth, h = s.InHeight, w = s.InWidth;
            for (int item = i0; item < i1; item++)
            {
                int b = item / h, y = item - (b * h);
                float* block = _in + (b * _inBlockFloats);
                if (y == 0)
                {
                    new Span<float>(block, s.PadTop * wp * lanes).Clear();
                }

                if (y == h - 1)
                {
                    int below = s.PadTop + h;
                    new Span<float>(block + ((long)below * wp * lanes), (_paddedHeight - below) * wp * lanes).Clear();
                }

                float* row = block + ((long)(y + s.PadTop) * wp * lanes);
                new Span<float>(row, s.PadLeft * lanes).Clear();
                new Span<float>(row + ((long)(s.PadLeft + w) * lanes), (wp - s.PadLeft - w) * lanes).Clear();
                if (_planarTaps)
                {
                    new ReadOnlySpan<float>(_x + ((((long)b * h) + y) * w), w).CopyTo(new Span<float>(row + s.PadLeft, w));
                }
                else if (_inputBlocked)
                {
                    new ReadOnlySpan<float>(_x + ((long)b * _inPixels * _v) + ((long)y * w * _v), w * _v).CopyTo(new Span<float>(row + ((long)s.PadLeft * _v), w * _v));
                }
                else
                {
                    DepthwiseTiles.ChannelsToTile(_x + ((long)b * _v * _inPixels) + ((long)y * w), w, _inPixels, _v, _v, block, offsets + ((long)y * w));
                }
            }
        }
    }

    // Unfolded row blocks [r0, r1), block r = (tap, input block): pixel p's V channels at input pixel
    // (oy·sh + dy, ox·sw + dx), or zeros where that lies in the padding.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Unfold<TV>(int r0, int r1)
        where TV : struct, ILanes<TV>
    {
        var s = _s;
        int v = TV.Count, ow = s.OutWidth;
        for (int r = r0; r < r1; r++)
        {
            int tap = r / _inBlocks, b = r - (tap * _inBlocks);
            int ky = tap / s.KernelWidth, kx = tap - (ky * s.KernelWidth);
            int dy = (ky * s.DilationHeight) - s.PadTop, dx = (kx * s.DilationWidth) - s.PadLeft;
            float* src = _in + ((long)b * _inPixels * v);
            float* dst = _cols + ((long)r * _pixels * v);
            var (lo, hi) = s.InsideColumns(kx);
            for (int oy = 0; oy < s.OutHeight; oy++, dst += (long)ow * v)
            {
                int iy = (oy * s.StrideHeight) + dy;
                if ((uint)iy >= (uint)s.InHeight)
                {
                    new Span<float>(dst, ow * v).Clear();
                    continue;
                }

                float* line = src + ((((long)iy * s.InWidth) + dx) * v);
                int ox = 0;
                for (; ox < lo; ox++)
                {
                    default(TV).Store(dst + (ox * v));
                }

                for (; ox < hi; ox++)
                {
                    TV.Load(line + ((long)ox * s.StrideWidth * v)).Store(dst + (ox * v));
                }

                for (; ox < ow; ox++)
                {
                    default(TV).Store(dst + (ox * v));
                }
            }
        }
    }

    // Output channel blocks [b0, b1): blocked → planar, then + residual and the activation on the planar rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ToPlanar(int b0, int b1)
    {
        for (int b = b0; b < b1; b++)
        {
            int n = Math.Min(_v, _s.OutChannels - (b * _v));
            float* dst = _y + ((long)b * _v * _pixels);
            float* res = _residual == null ? null : _residual + ((long)b * _v * _pixels);
            if (res != null && res == dst)
            {
                // In place: the residual would be overwritten by the transpose; add it from the blocked side first.
                AddPlanarToBlocked(res, _blocked + ((long)b * _pixels * _v), n);
                res = null;
            }

            DepthwiseTiles.TileToChannels(_blocked + ((long)b * _pixels * _v), _pixels, _pixels, n, _v, dst);
            int count = n * _pixels;
            if (res != null)
            {
                TensorPrimitives.Add(new ReadOnlySpan<float>(dst, count), new ReadOnlySpan<float>(res, count), new Span<float>(dst, count));
            }

            if (!_fusedActivation)
            {
                Elementwise.Apply(_activation, dst, dst, count);
            }
        }
    }

    // blocked[p][j] += planar[j][p] for the block's n channels (the in-place residual).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddPlanarToBlocked(float* planar, float* blocked, int n)
    {
        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < _pixels; p++)
            {
                blocked[((long)p * _v) + j] += planar[((long)j * _pixels) + p];
            }
        }
    }

    private sealed class PhaseWork(ConvIm2ColBlocked owner, int phase) : IParallelWork
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int begin, int end, int threadIndex)
        {
            switch (phase)
            {
                case 0:
                    owner.ToBlocked(begin, end);
                    break;
                case 1 when owner._v == 16:
                    owner.Unfold<Lanes512>(begin, end);
                    break;
                case 1 when owner._v == 8:
                    owner.Unfold<Lanes256>(begin, end);
                    break;
                case 1:
                    owner.Unfold<Lanes128>(begin, end);
                    break;
                default:
                    owner.ToPlanar(begin, end);
                    break;
            }
        }
    }
}
