using System.Collections.Concurrent;
using LightNet.Backends.OnnxRuntime;

namespace LightNet.Backends;

/// <summary>
/// Something that runs models: ONNX Runtime with an execution provider, LightNet's managed engine, a native
/// library. Get one with <see cref="Parse"/> ("ort-cpu", "ort-cuda:fp16", ...), ask it whether it can run here
/// with <see cref="CheckAvailability"/>, then <see cref="CreateSession"/>.
/// </summary>
public abstract class Backend
{
    private static readonly ConcurrentDictionary<string, Registration> s_registry = new(StringComparer.Ordinal);

    static Backend()
    {
        OrtBackend.RegisterAll();
        Engine.CpuSimdBackend.Register();
        Cudnn.CudnnBackend.Register();
    }

    /// <summary>Creates a backend from its parsed name.</summary>
    /// <param name="spec">The parsed name with options.</param>
    protected Backend(BackendSpec spec)
    {
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
    }

    /// <summary>The parsed name with its options.</summary>
    public BackendSpec Spec { get; }

    /// <summary>The canonical name with options, for example "ort-cuda:device=1,fp16".</summary>
    public string Name => Spec.ToString();

    /// <summary>The engine family.</summary>
    public abstract BackendKind Kind { get; }

    /// <summary>The precision it computes in.</summary>
    public abstract Precision Precision { get; }

    /// <summary>The device it runs on, for example "CPU" or "CUDA:0".</summary>
    public abstract string Device { get; }

    /// <summary>The options in effect, for reports (key → value, defaults included).</summary>
    public abstract IReadOnlyDictionary<string, string> EffectiveOptions { get; }

    /// <summary>
    /// Probes whether the backend can run on this machine: a real attempt (load the library, create a tiny
    /// session), never a list lookup. The result is cached per backend name.
    /// </summary>
    public abstract BackendAvailability CheckAvailability();

    /// <summary>
    /// What a listing may say about the backend without loading native libraries from folders the user configured (such
    /// as <c>LIGHTNET_CUDA_PATH</c> or <c>cudnn:libpath=</c>): for most backends the same as <see cref="CheckAvailability"/>;
    /// the cuDNN backend answers from a search of its folders for the library files, loading none of them, unless
    /// <see cref="CheckAvailability"/> already ran (then its cached answer) — <see cref="BackendAvailability.IsProbed"/> is
    /// false in that case. Native libraries are loaded only when a session is created or <see cref="CheckAvailability"/>
    /// is called.
    /// </summary>
    public virtual BackendAvailability DescribeAvailability() => CheckAvailability();

    /// <summary>Loads a model into the backend.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Threads, optimisation, profiling; null for <see cref="InferenceOptions.Default"/>.</param>
    /// <returns>A session; dispose it when done.</returns>
    /// <remarks>
    /// Before any backend sees the model, LightNet checks it (the same checks on every backend, so that native code such
    /// as ONNX Runtime or cuDNN never receives attributes it would trust blindly): the operator registry's specification
    /// checks of every node, shape inference at the session's dimension values, and the memory budget
    /// (<see cref="InferenceOptions.MemoryBudgetBytes"/>). No other exception type escapes (no raw .NET exception).
    /// </remarks>
    /// <exception cref="LightNetException"><see cref="ErrorCode.BackendUnavailable"/> with the reason; <see cref="ErrorCode.UnsupportedOperator"/>
    /// naming the node; <see cref="ErrorCode.InvalidModel"/> when an attribute breaks the specification or the backend rejects
    /// the model; <see cref="ErrorCode.InvalidShape"/> when shapes do not agree; <see cref="ErrorCode.ResourceLimit"/> when the
    /// model needs more memory than the budget (the message gives both numbers); <see cref="ErrorCode.InvalidArgument"/> for
    /// invalid options.</exception>
    public abstract IInferenceSession CreateSession(Model model, InferenceOptions? options = null);

    /// <summary>Throws <see cref="ErrorCode.BackendUnavailable"/> with the reason when <see cref="CheckAvailability"/> says no.</summary>
    protected void EnsureAvailable()
    {
        BackendAvailability availability = CheckAvailability();
        if (!availability.IsAvailable)
        {
            throw new LightNetException(ErrorCode.BackendUnavailable, $"Backend '{Name}' is not available on this machine: {availability.Reason}");
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Kind}, {Precision}, {Device})";

    /// <summary>
    /// Creates a backend from its name, for example "ort-cpu", "ort-cpu:threads=2" or "ort-cuda:fp16,device=1". While
    /// anything listens to LightNet's telemetry (<see cref="Telemetry.LightNetTelemetry"/>), the sessions it creates
    /// record metrics and spans.
    /// </summary>
    /// <param name="name">Backend name with options.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an unknown name (the message lists the known ones
    /// and suggests the closest) or option.</exception>
    public static Backend Parse(string name)
    {
        BackendSpec spec = BackendSpec.Parse(name);
        if (s_registry.TryGetValue(spec.Name, out Registration? registration))
        {
            return Telemetry.InstrumentedBackend.WrapIfListening(registration.Factory(spec));
        }

        string known = string.Join(", ", s_registry.Keys.Order(StringComparer.Ordinal));
        string? closest = NameSuggestions.Closest(spec.Name, s_registry.Keys);
        throw new LightNetException(ErrorCode.InvalidArgument,
            $"Unknown backend '{spec.Name}'.{(closest is null ? "" : $" Did you mean '{closest}'?")} Known backends: {known}.");
    }

    /// <summary>One instance of every registered backend (and of its common variants such as ":fp16"), available or not.</summary>
    public static IReadOnlyList<Backend> All =>
        s_registry.Values.OrderBy(r => r.Order).ThenBy(r => r.Name, StringComparer.Ordinal)
            .SelectMany(r => r.Variants.Select(v => Telemetry.InstrumentedBackend.WrapIfListening(r.Factory(BackendSpec.Parse(v))))).ToArray();

    /// <summary>The names <see cref="Parse"/> accepts (without options).</summary>
    public static IReadOnlyList<string> Names => s_registry.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>Registers a backend so that <see cref="Parse"/> and <see cref="All"/> know it (a third-party engine, say).</summary>
    /// <param name="name">Base name, lower case, for example "my-npu".</param>
    /// <param name="factory">Creates the backend from a parsed name with options.</param>
    /// <param name="variants">Names listed by <see cref="All"/>; defaults to <paramref name="name"/> alone.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the name is taken or malformed.</exception>
    public static void Register(string name, Func<BackendSpec, Backend> factory, IReadOnlyList<string>? variants = null) =>
        Register(name, factory, variants, order: 1000);

    internal static void Register(string name, Func<BackendSpec, Backend> factory, IReadOnlyList<string>? variants, int order)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (string.IsNullOrWhiteSpace(name) || name.Contains(':', StringComparison.Ordinal) || name != name.ToLowerInvariant())
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Backend name '{name}' must be non-empty, lower case and without ':'.");
        }

        if (!s_registry.TryAdd(name, new Registration(name, factory, variants ?? [name], order)))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"A backend named '{name}' is already registered.");
        }
    }

    private sealed record Registration(string Name, Func<BackendSpec, Backend> Factory, IReadOnlyList<string> Variants, int Order);
}
