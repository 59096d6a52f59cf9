using System.Globalization;
using LightNet.Analysis;
using LightNet.Onnx;
using LightNet.Zoo;

namespace LightNet.Cli;

/// <summary>
/// Turns a <c>&lt;model&gt;</c> argument into a model: a zoo name (<c>mobilenet_v2</c>, <c>mobilenet_v1@0.5</c> for a width
/// multiplier) or a path to an ONNX file (anything ending in .onnx, holding a path separator, or naming an existing file).
/// </summary>
internal static class ModelSource
{
    /// <summary>The zoo networks' single input.</summary>
    public const string ZooInput = "input";

    /// <summary>Whether the argument names a file rather than a zoo network.</summary>
    public static bool IsFile(string spec) =>
        spec.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || File.Exists(spec)
        || spec.Contains('/', StringComparison.Ordinal) || spec.Contains('\\', StringComparison.Ordinal);

    /// <summary>Loads or builds the model.</summary>
    /// <param name="spec">Zoo name or file path.</param>
    /// <param name="batch">--batch, if given: the zoo's batch size.</param>
    /// <param name="shapes">--shape values: for a zoo network, input=Nx3xHxH sets batch and resolution.</param>
    public static Model Load(string spec, int? batch, IReadOnlyDictionary<string, long[]> shapes)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            throw new CliUsageException("The model is empty: give a zoo name such as 'mobilenet_v2' or a path to an .onnx file.");
        }

        return IsFile(spec) ? Model.Load(spec) : ModelZoo.Create(ZooName(spec, out double? width), ZooOptionsFor(spec, width, batch, shapes));
    }

    /// <summary>The zoo entry's name for "name" or "name@width"; an unknown name is an error that suggests the closest.</summary>
    public static string ZooName(string spec, out double? width)
    {
        int at = spec.IndexOf('@', StringComparison.Ordinal);
        string name = (at < 0 ? spec : spec[..at]).Trim();
        width = null;
        if (at >= 0)
        {
            string text = spec[(at + 1)..].Trim();
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double w) || !double.IsFinite(w) || w <= 0)
            {
                throw new CliUsageException($"'{spec}': the width multiplier after '@' must be a positive number such as 0.5, not '{text}'.");
            }

            width = w;
        }

        ZooEntry entry;
        try
        {
            entry = ModelZoo.Get(name);
        }
        catch (LightNetException e) when (e.Code == ErrorCode.UnknownModel)
        {
            throw new LightNetException(ErrorCode.UnknownModel, $"{e.Message} See 'lightnet zoo list', or give a path to an .onnx file.", e);
        }

        return entry.Name;
    }

    private static ZooOptions ZooOptionsFor(string spec, double? width, int? batch, IReadOnlyDictionary<string, long[]> shapes)
    {
        var options = new ZooOptions { WidthMultiplier = width, BatchSize = batch ?? 1 };
        if (shapes.Count == 0)
        {
            return options;
        }

        if (shapes.Count > 1 || !shapes.TryGetValue(ZooInput, out long[]? shape))
        {
            throw new CliUsageException(
                $"Zoo model '{spec}' has one input, '{ZooInput}': give --shape {ZooInput}=Nx3xHxH to set the batch and the resolution.");
        }

        if (shape.Length != 4 || shape[1] != 3 || shape[2] != shape[3] || shape[2] > int.MaxValue || shape[0] > int.MaxValue)
        {
            throw new CliUsageException(
                $"Zoo model '{spec}' takes square RGB images: --shape {ZooInput}=Nx3xHxH (for example 1x3x160x160), not {FormatShape(shape)}.");
        }

        if (batch is int b && b != shape[0])
        {
            throw new CliUsageException($"--batch {b} contradicts --shape {ZooInput}={FormatShape(shape)} (batch {shape[0]}).");
        }

        return options with { BatchSize = (int)shape[0], Resolution = (int)shape[2] };
    }

    /// <summary>Parses --shape values: <c>NAME=1x3x224x224</c> (commas also separate dimensions).</summary>
    public static IReadOnlyDictionary<string, long[]> ParseShapes(IEnumerable<string>? values)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (string value in values ?? [])
        {
            int eq = value.LastIndexOf('=');
            string name = eq < 0 ? "" : value[..eq].Trim();
            string dimsText = eq < 0 ? "" : value[(eq + 1)..].Trim();
            string[] parts = dimsText.Split(['x', 'X', ','], StringSplitOptions.TrimEntries);
            long[] dims = new long[parts.Length];
            bool ok = name.Length > 0 && dimsText.Length > 0;
            for (int i = 0; ok && i < parts.Length; i++)
            {
                ok = long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]) && dims[i] >= 1;
            }

            if (!ok)
            {
                throw new CliUsageException(
                    $"--shape '{value}' is malformed: write NAME=DIMxDIM... with whole numbers of at least 1, for example input=1x3x224x224.");
            }

            if (!shapes.TryAdd(name, dims))
            {
                throw new CliUsageException($"--shape gives input '{name}' twice.");
            }
        }

        return shapes;
    }

    /// <summary>
    /// Analysis options for a file as the profiler would feed it: the given shapes, and a symbolic first dimension taken as
    /// the batch (<paramref name="batch"/>, or 1).
    /// </summary>
    public static AnalysisOptions AnalysisOptionsFor(Model model, IReadOnlyDictionary<string, long[]> shapes, int? batch)
    {
        var dimensionValues = new Dictionary<string, long>(StringComparer.Ordinal);
        var inputShapes = new Dictionary<string, long[]>(shapes, StringComparer.Ordinal);
        foreach (ValueInfo input in model.Graph.Inputs)
        {
            if (inputShapes.ContainsKey(input.Name) || input.Shape is not { Count: > 0 } shape || shape[0].IsFixed)
            {
                continue;
            }

            if (shape[0].Parameter is string p)
            {
                dimensionValues[p] = batch ?? 1;
            }
            else if (shape.Skip(1).All(d => d.IsFixed))
            {
                inputShapes[input.Name] = [batch ?? 1, .. shape.Skip(1).Select(d => d.Value!.Value)];
            }
        }

        return new AnalysisOptions { InputShapes = inputShapes, DimensionValues = dimensionValues };
    }

    /// <summary>"1x3x224x224".</summary>
    public static string FormatShape(IEnumerable<long> dims) => string.Join("x", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));
}
