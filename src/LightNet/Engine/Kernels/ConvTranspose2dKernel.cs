using System.Runtime.CompilerServices;
namespace LightNet.Engine.Kernels;

/// <summary>
/// A 2-D transposed convolution prepared once: per group, columns[(co,ky,kx), (iy,ix)] = Wᵀ · X by the packed GEMM,
/// then col2im scatters the columns into the output (parallel over output channels, so it is deterministic), and
/// bias, residual and activation are applied per output channel. The <see cref="Conv2dShape"/> is read as:
/// In* = the input of the transposed convolution, Out* = its output (output_padding already in OutHeight/OutWidth),
/// pads = the ONNX begin pads.
/// </summary>
internal sealed unsafe class ConvTranspose2dKernel : IDisposable
{
    private readonly Conv2dShape _s;
    private readonly bool _residual;
    private readonly int _threads;
    private readonly GemmBuffer _packed;
    private readonly GemmBuffer _bias;
    private readonly GemmWork _gemm;
    private readonly Col2Im _col2im;
    private readonly long _packedGroupStride;

    private ConvTranspose2dKernel(in Conv2dShape s, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Activation activation, bool residual, Isa isa, int threads)
    {
        _s = s;
        _residual = residual;
        _threads = threads;
        Macs = (long)s.InChannels * s.InHeight * s.InWidth * (s.OutChannels / s.Groups) * s.KernelHeight * s.KernelWidth;
        _bias = new GemmBuffer(s.OutChannels);
        bias.CopyTo(new Span<float>(_bias.Pointer, s.OutChannels));
        var cfg = GemmConfig.For(isa);
        int cinG = s.InChannels / s.Groups, coutG = s.OutChannels / s.Groups;
        int m = coutG * s.KernelHeight * s.KernelWidth;
        int n = s.InHeight * s.InWidth;
        _packedGroupStride = cfg.PackedASize(m, cinG);
        _packed = new GemmBuffer(_packedGroupStride * s.Groups);
        fixed (float* w = weights)
        {
            for (int g = 0; g < s.Groups; g++)
            {
                // A[(co,ky,kx), ci] = W[g·cinG + ci, co, ky, kx].
                GemmWork.PackA(cfg, w + ((long)g * cinG * m), 1, m, m, cinG, 1f, _packed.Pointer + (g * _packedGroupStride));
            }
        }

        _gemm = new GemmWork(cfg, m, n, cinG, threads);
        _col2im = new Col2Im(s, activation);
        ColumnsBytes = GemmConfig.Align64((long)m * n * sizeof(float));
        ScratchBytes = (_gemm.ScratchBytesPerThread * threads) + ColumnsBytes;
        Algorithm = "gemm-col2im" + (s.Groups > 1 ? "-grouped" : string.Empty) + "-" + IsaSupport.Name(isa);
    }

    /// <summary>The algorithm ("gemm-col2im-avx2", ...).</summary>
    public string Algorithm { get; }

    /// <summary>Per-run scratch for all threads (packed B panels + the column matrix), a multiple of 64 bytes.</summary>
    public long ScratchBytes { get; }

    /// <summary>Exact multiply-accumulates of one image.</summary>
    public long Macs { get; }

    private long ColumnsBytes { get; }

    /// <summary>Prepares a transposed convolution; weights are [Cin, Cout/groups, kH, kW].</summary>
    /// <exception cref="LightNetException">Invalid shape, weight or bias length, or thread count.</exception>
    public static ConvTranspose2dKernel Create(in Conv2dShape shape, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        Activation activation, bool residual, Isa isa, int threads)
    {
        shape.Validate("ConvTranspose");
        long expected = (long)shape.InChannels * (shape.OutChannels / shape.Groups) * shape.KernelHeight * shape.KernelWidth;
        shape.ValidateParameters("ConvTranspose", weights.Length, expected, bias.Length, threads);
        return new ConvTranspose2dKernel(shape, weights, bias, activation, residual, isa, threads);
    }

    /// <summary>Runs one image: output[Cout,OH,OW] = act(convT(input) + bias + residual); residual may alias output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* input, float* output, float* residual, byte* scratch, WorkerPool pool)
    {
        if (pool.Threads > _threads || (residual != null) != _residual)
        {
            throw new InvalidOperationException($"ConvTranspose2dKernel prepared for {_threads} threads (residual: {_residual}) was run with {pool.Threads} (residual: {residual != null}).");
        }

        var s = _s;
        float* cols = (float*)(scratch + (_gemm.ScratchBytesPerThread * _threads));
        int cinG = s.InChannels / s.Groups, coutG = s.OutChannels / s.Groups;
        long inPlane = (long)s.InHeight * s.InWidth, outPlane = (long)s.OutHeight * s.OutWidth;
        for (int g = 0; g < s.Groups; g++)
        {
            _gemm.A = _packed.Pointer + (g * _packedGroupStride);
            _gemm.B = GemmBSource.Dense(input + (g * cinG * inPlane), _gemm.N, false);
            _gemm.C = cols;
            _gemm.Ldc = _gemm.N;
            _gemm.Scratch = scratch;
            pool.Run(_gemm, _gemm.Items, _gemm.Chunks);

            _col2im.Columns = cols;
            _col2im.Output = output + (g * coutG * outPlane);
            _col2im.Residual = residual != null ? residual + (g * coutG * outPlane) : null;
            _col2im.Bias = _bias.Pointer + (g * coutG);
            pool.Run(_col2im, coutG);
        }
    }

    /// <summary>Frees the prepacked weights.</summary>
    public void Dispose()
    {
        _packed.Dispose();
        _bias.Dispose();
    }

    private sealed class Col2Im : IParallelWork
    {
        private readonly Conv2dShape _s;
        private readonly Activation _activation;
        public float* Columns, Output, Residual, Bias;

        public Col2Im(in Conv2dShape s, Activation activation)
        {
            _s = s;
            _activation = activation;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int begin, int end, int threadIndex)
        {
            var s = _s;
            int h = s.InHeight, w = s.InWidth, oh = s.OutHeight, ow = s.OutWidth;
            long outPlane = (long)oh * ow, inPlane = (long)h * w;
            for (int co = begin; co < end; co++)
            {
                float* o = Output + (co * outPlane);
                float* res = Residual != null ? Residual + (co * outPlane) : null;

                // Residual first (it may alias the output), then the bias, then the scattered columns.
                for (long i = 0; i < outPlane; i++)
                {
                    o[i] = Bias[co] + (res != null ? res[i] : 0f);
                }

                for (int ky = 0; ky < s.KernelHeight; ky++)
                {
                    for (int kx = 0; kx < s.KernelWidth; kx++)
                    {
                        float* col = Columns + ((((long)co * s.KernelHeight * s.KernelWidth) + (ky * s.KernelWidth) + kx) * inPlane);
                        for (int iy = 0; iy < h; iy++)
                        {
                            int oy = (iy * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight);
                            if ((uint)oy >= (uint)oh)
                            {
                                continue;
                            }

                            float* orow = o + ((long)oy * ow);
                            float* crow = col + ((long)iy * w);
                            int ox = kx * s.DilationWidth - s.PadLeft;
                            for (int ix = 0; ix < w; ix++, ox += s.StrideWidth)
                            {
                                if ((uint)ox < (uint)ow)
                                {
                                    orow[ox] += crow[ix];
                                }
                            }
                        }
                    }
                }

                GemmEpilogue.Activate(o, (int)outPlane, _activation);
            }
        }
    }
}
