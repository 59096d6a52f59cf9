using LightNet.Analysis;
using LightNet.Operators;
using Microsoft.Extensions.Logging;

namespace LightNet.Backends;

/// <summary>
/// What LightNet checks itself before a model reaches native code (ONNX Runtime, cuDNN), which trusts what it is given
/// and can take the process down (a division by zero, an allocation of many gigabytes): the operator registry's
/// specification checks of every node (<see cref="OperatorDef.ValidateSpecification"/>), shape inference at the
/// session's dimension values (channel and group counts, kernel shapes, axes, reshape targets, element counts), and the
/// memory budget against LightNet's own estimate. Also the one place that words a memory-budget refusal, and that refuses
/// <see cref="InferenceOptions.DimensionValues"/> naming a dimension the model does not have.
/// </summary>
internal static class SessionPreflight
{
    /// <summary>
    /// Refuses <paramref name="model"/> for <paramref name="backend"/> when <see cref="InferenceOptions.DimensionValues"/>
    /// names a dimension the model does not declare (<see cref="ErrorCode.InvalidArgument"/>), a node breaks the specification
    /// (<see cref="ErrorCode.InvalidModel"/>), shapes do not agree (<see cref="ErrorCode.InvalidShape"/>) or the estimated
    /// memory exceeds the budget (<see cref="ErrorCode.ResourceLimit"/>). Shape inference that cannot run (a dynamic
    /// dimension without a value, an operator it does not know) is skipped: the native runtime then decides alone.
    /// </summary>
    /// <returns>The analysis at the session's shapes, or null when it could not run.</returns>
    public static ModelInfo? BeforeNative(Model model, InferenceOptions options, string backend)
    {
        string modelName = model.SourcePath ?? model.Graph.Name;
        ILogger logger = Logging.For(options.LoggerFactory, typeof(Backend).FullName!);
        logger.LogDebug("Creating a {Backend} session for {Model}", backend, modelName);
        CheckDimensionNames(model, options, backend);
        ValidateSpecification(model, backend);
        ModelInfo info;
        try
        {
            info = model.Analyze(new AnalysisOptions { DimensionValues = options.DimensionValues });
        }
        catch (LightNetException e) when (e.Code is ErrorCode.InvalidShape or ErrorCode.InvalidArgument or ErrorCode.InvalidTensor)
        {
            throw new LightNetException(e.Code, $"Backend '{backend}' refuses model '{modelName}' before running it: {e.Message}", e);
        }
        catch (LightNetException e)
        {
            // Dynamic dimensions without values, an operator shape inference does not know: nothing to check.
            logger.LogDebug("{Backend}: shape and memory checks of {Model} skipped ({Reason})", backend, modelName, e.Message);
            return null;
        }

        CheckEstimate(info, options, backend, modelName);
        return info;
    }

    /// <summary>
    /// For the managed backend: the same checks as <see cref="BeforeNative"/> (every backend refuses the same models),
    /// before the graph is optimized, since constant folding alone can allocate what the budget forbids.
    /// </summary>
    public static void BeforeManaged(Model model, InferenceOptions options, string backend) => BeforeNative(model, options, backend);

    /// <summary>
    /// Throws <see cref="ErrorCode.InvalidArgument"/> when <see cref="InferenceOptions.DimensionValues"/> names a symbolic
    /// dimension (<c>dim_param</c>) that no input, output or value_info of <paramref name="model"/> declares: a mistyped name
    /// would otherwise be ignored and the dimension left dynamic. The message suggests the nearest declared name.
    /// </summary>
    public static void CheckDimensionNames(Model model, InferenceOptions options, string backend)
    {
        if (options.DimensionValues is not { Count: > 0 } given)
        {
            return;
        }

        List<string> declared = DeclaredDimensions(model);
        List<string> unknown = given.Keys.Where(k => !declared.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count == 0)
        {
            return;
        }

        string Describe(string name) => NameSuggestions.Closest(name, declared) is string near ? $"'{name}' (did you mean '{near}'?)" : $"'{name}'";
        throw new LightNetException(ErrorCode.InvalidArgument,
            $"Backend '{backend}' refuses model '{model.SourcePath ?? model.Graph.Name}': InferenceOptions.DimensionValues names "
            + $"{string.Join(", ", unknown.Select(Describe))}, which {(unknown.Count == 1 ? "is not a dimension" : "are not dimensions")} of the model "
            + $"({(declared.Count == 0 ? "it has no symbolic dimensions" : "its symbolic dimensions: " + string.Join(", ", declared))}).");
    }

    /// <summary>The symbolic dimensions (<c>dim_param</c>) the inputs, outputs and value_infos of <paramref name="model"/> declare.</summary>
    internal static List<string> DeclaredDimensions(Model model)
    {
        Onnx.Graph g = model.Graph;
        return g.Inputs.Concat(g.Outputs).Concat(g.ValueInfos.Values)
            .SelectMany(v => v.Shape ?? []).Select(d => d.Parameter).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
    }

    private static void CheckEstimate(ModelInfo info, InferenceOptions options, string backend, string modelName) =>
        CheckBudget(Sum(info.PeakActivationBytes, info.WeightBytes), options, backend, modelName,
            $"by LightNet's estimate ({Mib(info.PeakActivationBytes)} of activations at peak + {Mib(info.WeightBytes)} of weights)");

    /// <summary>
    /// Throws <see cref="ErrorCode.InvalidModel"/> listing every node that breaks the specification checks of the operator
    /// registry (<see cref="OperatorDef.ValidateSpecification"/>): the same refusal on every backend.
    /// </summary>
    public static void ValidateSpecification(Model model, string backend)
    {
        var problems = new List<string>();
        OperatorRegistry.ValidateSpecification(model.Graph, model.Opset, problems);
        if (problems.Count > 0)
        {
            throw new LightNetException(ErrorCode.InvalidModel,
                $"Backend '{backend}' refuses model '{model.SourcePath ?? model.Graph.Name}' ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):" +
                $"{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}");
        }
    }

    /// <summary>Throws <see cref="ErrorCode.ResourceLimit"/> when <paramref name="bytes"/> exceed the budget of <paramref name="options"/>.</summary>
    /// <param name="bytes">What the session would take.</param>
    /// <param name="options">The session's options (the budget).</param>
    /// <param name="backend">The backend's name, for the message.</param>
    /// <param name="modelName">The model's file or graph name.</param>
    /// <param name="how">How <paramref name="bytes"/> was found, for the message ("by its memory plan").</param>
    public static void CheckBudget(long bytes, InferenceOptions options, string backend, string modelName, string how)
    {
        long budget = options.EffectiveMemoryBudgetBytes;
        if (bytes > budget)
        {
            throw new LightNetException(ErrorCode.ResourceLimit,
                $"Backend '{backend}' refuses model '{modelName}': it needs {Mib(bytes)} {how}, over the memory budget of {Mib(budget)} " +
                $"(InferenceOptions.MemoryBudgetBytes{(options.MemoryBudgetBytes is null ? ", by default half of this machine's memory" : "")}).");
        }
    }

    /// <summary>A saturating sum: estimates of absurd models must not wrap around below the budget.</summary>
    internal static long Sum(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F1} MiB ({bytes} bytes)";
}
