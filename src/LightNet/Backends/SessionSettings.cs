using System.Globalization;

namespace LightNet.Backends;

/// <summary>
/// What a session runs with, read back from the session after it was created rather than from the options that asked for
/// it: the thread count its engine uses, the instruction set its kernels were compiled for, the precision and the device.
/// Reports take these (not the backend's name or the requested options), so that the device description and the settings
/// always say what ran.
/// </summary>
public sealed record SessionSettings
{
    /// <summary>Threads the session runs each inference with; null when the engine chose and does not say (ONNX Runtime's default: one per physical core).</summary>
    public int? Threads { get; init; }

    /// <summary>Instruction set the session's kernels use (for example <c>avx512</c>, <c>avx2</c>); null when the engine does not say.</summary>
    public string? InstructionSet { get; init; }

    /// <summary>Arithmetic precision the session computes in.</summary>
    public Precision Precision { get; init; }

    /// <summary>The device, in words, as the session runs on it (for example <c>CPU (AVX-512F, 2 threads)</c>).</summary>
    public string Device { get; init; } = "";

    /// <summary>The backend's options in effect for this session, with the thread count the session uses.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The settings of a session of <paramref name="backend"/> when the session knows nothing more than its backend does: the
    /// backend's device and options, with <paramref name="threads"/> (the thread count it was created with) where known.
    /// </summary>
    /// <param name="backend">The backend that created the session.</param>
    /// <param name="threads">The thread count the session was created with; null when the engine chose.</param>
    /// <returns>The settings.</returns>
    public static SessionSettings Of(Backend backend, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var options = new Dictionary<string, string>(backend.EffectiveOptions, StringComparer.Ordinal);
        if (threads is int t && options.ContainsKey("threads"))
        {
            options["threads"] = t.ToString(CultureInfo.InvariantCulture);
        }

        options.TryGetValue("isa", out string? isa);
        return new SessionSettings
        {
            Threads = threads,
            InstructionSet = isa,
            Precision = backend.Precision,
            Device = backend.Device,
            Options = options,
        };
    }
}
