using System.Collections.Concurrent;
using LightNet.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace LightNet.Backends.OnnxRuntime;

/// <summary>ONNX Runtime (Microsoft.ML.OnnxRuntime 1.31.1) with one execution provider.</summary>
internal sealed class OrtBackend : Backend
{
    private static readonly ConcurrentDictionary<string, BackendAvailability> s_availability = new(StringComparer.Ordinal);
    private static readonly Lazy<byte[]> s_probeModel = new(BuildProbeModel);

    private readonly OrtProvider _provider;

    private OrtBackend(BackendSpec spec, OrtProvider provider)
        : base(spec)
    {
        _provider = provider;
        spec.RejectUnknown(provider.Options);
        EffectiveOptions = provider.Describe(spec);
    }

    public override BackendKind Kind => BackendKind.OnnxRuntime;

    public override Precision Precision => Spec.Flags.Contains("fp16") ? Precision.Fp16 : Precision.Fp32;

    public override string Device => _provider.Device + (Spec.Values.TryGetValue("device", out string? d) ? ":" + d : "");

    public override IReadOnlyDictionary<string, string> EffectiveOptions { get; }

    /// <summary>ONNX Runtime's own version string.</summary>
    public static string RuntimeVersion => OrtEnv.Instance().GetVersionString();

    internal static void RegisterAll()
    {
        for (int i = 0; i < OrtProvider.All.Length; i++)
        {
            OrtProvider provider = OrtProvider.All[i];
            Register(provider.Name, spec => new OrtBackend(spec, provider), provider.Variants, order: i);
        }
    }

    public override BackendAvailability CheckAvailability() => s_availability.GetOrAdd(Name, _ => Probe());

    /// <summary>
    /// Appends the provider and creates and runs a one-node session. ONNX Runtime's own provider list is not
    /// trusted: it names CUDA and TensorRT even when no CUDA is installed.
    /// </summary>
    private BackendAvailability Probe()
    {
        try
        {
            using SessionOptions options = CreateSessionOptions(InferenceOptions.Default);
            using var session = new InferenceSession(s_probeModel.Value, options);
            using OrtValue input = OrtValue.CreateTensorValueFromMemory(new float[] { -1f, 2f }, [1, 2]);
            using IDisposableReadOnlyCollection<OrtValue> output = session.Run(new RunOptions(), ["x"], [input], ["y"]);
            return BackendAvailability.Available($"{OrtNativeLibrary.Describe()}, {_provider.Device} execution provider");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return BackendAvailability.Unavailable($"{Explain(e)} {_provider.InstallHint}");
        }
    }

    /// <summary>Puts what ONNX Runtime threw into plain words.</summary>
    private string Explain(Exception e)
    {
        string first = (e.InnerException is { } inner && e is TypeInitializationException ? inner.Message : e.Message)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? e.GetType().Name;
        string what = e switch
        {
            EntryPointNotFoundException => "the loaded ONNX Runtime library has no entry point for this provider",
            DllNotFoundException => "a native library it needs is missing",
            NotSupportedException => "the loaded ONNX Runtime build does not include the provider",
            _ when first.Contains("not supported in this build", StringComparison.OrdinalIgnoreCase)
                || first.Contains("not enabled in this build", StringComparison.OrdinalIgnoreCase) => "the loaded ONNX Runtime build does not include the provider",
            _ when first.Contains(".so", StringComparison.Ordinal) || first.Contains(".dll", StringComparison.OrdinalIgnoreCase) => "a native library it needs could not be loaded",
            _ => "ONNX Runtime could not start the provider",
        };
        return $"{_provider.Name} is unavailable: {what} (ONNX Runtime said: {first}). Loaded: {OrtNativeLibrary.Describe()}.";
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
        if (Precision == Precision.Fp16 && _provider.Name == "ort-cuda"
            && !model.Graph.Initializers.Values.Any(t => t.ElementType == TensorElementType.Float16))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Backend '{Name}' runs FP16 models, and '{model.Graph.Name}' stores its weights in FP32: convert it to FP16 first, or use '{_provider.Name}'.");
        }

        // ONNX Runtime trusts what it is given: a bad attribute can end the process (SIGFPE), not just fail the call.
        SessionPreflight.BeforeNative(model, options, Name);

        SessionOptions sessionOptions;
        try
        {
            sessionOptions = CreateSessionOptions(options);
        }
        catch (OnnxRuntimeException e)
        {
            throw OrtSession.Translate(e, ErrorCode.InvalidArgument, $"ONNX Runtime ({Name}) rejected the session options for '{model.SourcePath ?? model.Graph.Name}'");
        }

        return new OrtSession(this, model, sessionOptions, options);
    }

    internal SessionOptions CreateSessionOptions(InferenceOptions options)
    {
        var so = new SessionOptions();
        try
        {
            int? threads = options.Threads ?? (Spec.Values.ContainsKey("threads") && _provider.Name == "ort-cpu" ? Spec.GetInt("threads", 0, min: 1) : null);
            if (threads is int t)
            {
                so.IntraOpNumThreads = t;
            }

            so.GraphOptimizationLevel = (_provider.Name == "ort-cpu" ? Spec.GetChoice("opt", "", "none", "basic", "extended", "all") : "") switch
            {
                "none" => GraphOptimizationLevel.ORT_DISABLE_ALL,
                "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                "all" => GraphOptimizationLevel.ORT_ENABLE_ALL,
                _ => options.GraphOptimization switch
                {
                    GraphOptimization.None => GraphOptimizationLevel.ORT_DISABLE_ALL,
                    GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                    GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                    _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
                },
            };
            foreach ((string name, long value) in options.DimensionValues ?? new Dictionary<string, long>())
            {
                so.AddFreeDimensionOverrideByName(name, value);
            }

            if (options.PerOperatorProfiling)
            {
                // The prefix must be set before profiling is switched on, or ONNX Runtime ignores it.
                so.ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), $"lightnet-ort-profile-{Guid.NewGuid():N}");
                so.EnableProfiling = true;
            }

            _provider.Append?.Invoke(so, Spec);
            return so;
        }
        catch
        {
            so.Dispose();
            throw;
        }
    }

    private static byte[] BuildProbeModel()
    {
        var b = new ModelBuilder("lightnet_probe", 13);
        b.AddInput("x", TensorElementType.Float, 1, 2);
        b.AddNode("Relu", ["x"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float, 1, 2);
        return b.Build().ToArray();
    }
}
