using LightNet.Backends;
using LightNet.Engine.Kernels;
using LightNet.Operators.Interpreter;
using Microsoft.Extensions.Logging;

namespace LightNet.Engine;

/// <summary>
/// <c>cpu-simd</c>: LightNet's managed engine (no native code). Options: <c>threads=N</c> (InferenceOptions.Threads
/// wins when set), <c>isa=avx512|avx2|vector128|scalar</c> (default: the best this machine supports) and
/// <c>spin=MICROSECONDS</c>, how long an idle worker thread spins before it sleeps (default 2000; 0 sleeps at once), and
/// <c>warmup=N</c>, runs of each plan compiled at <c>CreateSession</c> made there on zero inputs (default 1; 0 for none),
/// so that the kernels' first-call compilation and the first touch of the plan's memory are paid at load, not by the
/// app's first inference, and <c>layout=auto|planar</c>: <c>auto</c> (the default) keeps chains of 1×1 and depthwise
/// convolutions channel-blocked (NCHWc) wherever the instruction set has blocked kernels, <c>planar</c> keeps every value
/// NCHW (its own kernels: planar GEMM, depthwise → 1×1 pairs fused into one step) — to compare the two on a machine.
/// </summary>
internal sealed class CpuSimdBackend : Backend
{
    public const string BackendName = "cpu-simd";

    private CpuSimdBackend(BackendSpec spec)
        : base(spec)
    {
        spec.RejectUnknown("threads", "isa", "spin", "warmup", "layout");
        WarmupRuns = spec.GetInt("warmup", DefaultWarmupRuns, min: 0, max: MaxWarmupRuns);
        SpinMicroseconds = spec.GetInt("spin", WorkerPool.DefaultSpinMicroseconds, min: 0, max: 1_000_000);

        PlanarLayout = spec.GetChoice("layout", "auto", "auto", "planar") == "planar";
        ThreadsOption = spec.Values.ContainsKey("threads") ? spec.GetInt("threads", 0, min: 1) : null;
        string isa = spec.GetChoice("isa", "", "avx512", "avx2", "vector128", "scalar");
        RequestedIsa = isa switch
        {
            "avx512" => Kernels.Isa.Avx512,
            "avx2" => Kernels.Isa.Avx2,
            "vector128" => Kernels.Isa.Vector128,
            "scalar" => Kernels.Isa.Scalar,
            _ => null,
        };
        EffectiveOptions = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["threads"] = ThreadsOption?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? $"auto ({DefaultThreads})",
            ["isa"] = IsaSupport.Name(RequestedIsa ?? IsaSupport.Best),
            ["spin"] = SpinMicroseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + " µs",
            ["warmup"] = WarmupRuns.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["layout"] = PlanarLayout ? "planar" : "auto",
        };
    }

    public override BackendKind Kind => BackendKind.Managed;

    public override Precision Precision => Precision.Fp32;

    public override string Device => DescribeDevice(RequestedIsa ?? IsaSupport.Best, ThreadsOption ?? DefaultThreads);

    public override IReadOnlyDictionary<string, string> EffectiveOptions { get; }

    internal int? ThreadsOption { get; }

    internal Isa? RequestedIsa { get; }

    internal int SpinMicroseconds { get; }

    /// <summary>Whether every value stays planar (<c>layout=planar</c>) instead of channel-blocked where the ISA plans so.</summary>
    internal bool PlanarLayout { get; }

    /// <summary>Warm-up runs of each plan compiled at CreateSession (<c>warmup=N</c>).</summary>
    internal int WarmupRuns { get; }

    /// <summary>The default of <c>warmup=N</c>: one run compiles every kernel the plan calls and touches its memory.</summary>
    internal const int DefaultWarmupRuns = 1;

    /// <summary>The most warm-up runs <c>warmup=N</c> takes.</summary>
    internal const int MaxWarmupRuns = 100;

    /// <summary>The thread count used when neither the backend option nor InferenceOptions.Threads sets one.</summary>
    internal static int DefaultThreads => Math.Max(1, Environment.ProcessorCount);

    internal static void Register() => Register(BackendName, spec => new CpuSimdBackend(spec), [BackendName], order: 100);

    public override BackendAvailability CheckAvailability()
    {
        if (RequestedIsa is { } isa && !IsaSupport.IsSupported(isa))
        {
            return BackendAvailability.Unavailable(
                $"{Name} is unavailable: this CPU does not support the '{IsaSupport.Name(isa)}' instruction set (best available: '{IsaSupport.Name(IsaSupport.Best)}').");
        }

        return BackendAvailability.Available($"LightNet managed engine on {Device}");
    }

    public override IInferenceSession CreateSession(Model model, InferenceOptions? options = null)
    {
        if (Isolation.IsolatedSession.TryCreate(this, model, options) is { } isolated)
        {
            return isolated;
        }

        ArgumentNullException.ThrowIfNull(model);
        options ??= InferenceOptions.Default;
        options.Validate();
        EnsureAvailable();
        SessionPreflight.BeforeManaged(model, options, Name);
        Isa isa = IsaSupport.Resolve(RequestedIsa);
        int threads = options.Threads ?? ThreadsOption ?? DefaultThreads;
        try
        {
            var session = new CpuSimdSession(this, model, options, isa, threads, SpinMicroseconds, warmupRuns: WarmupRuns);
            return session.PlansCompiled > 0
                ? session
                : new CpuSimdFallbackSession(session, reason => new InterpretedSession(this, model, options, reason));
        }
        catch (LightNetException e) when (e.Code is ErrorCode.UnsupportedOperator or ErrorCode.MissingDimension)
        {
            // Outside the compiled fast path (an operator, element type or dynamic shape it does not cover): the
            // interpreter over the operator registry runs the graph, or says precisely why it cannot.
            Logging.For(options.LoggerFactory, typeof(Backend).FullName!)
                .LogInformation("{Backend} runs {Model} with its interpreter: {Reason}", Name, model.SourcePath ?? model.Graph.Name, e.Message);
            return new InterpretedSession(this, model, options, e.Message);
        }
    }

    /// <summary>The device string of a cpu-simd session: the instruction set and the thread count it runs with.</summary>
    internal static string DescribeDevice(Isa isa, int threads) => $"CPU ({IsaDescription(isa)}, {threads} thread{(threads == 1 ? "" : "s")})";

    private static string IsaDescription(Isa isa) => isa switch
    {
        Kernels.Isa.Avx512 => "AVX-512F",
        Kernels.Isa.Avx2 => "AVX2+FMA",
        Kernels.Isa.Vector128 => "Vector128",
        _ => "scalar",
    };
}
