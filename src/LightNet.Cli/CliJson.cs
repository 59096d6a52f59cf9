using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LightNet.Cli;

/// <summary>A backend as <c>lightnet backends --json</c> lists it.</summary>
internal sealed record BackendJson(string Name, string Kind, string Precision, string Device, bool Available, string Reason)
{
    /// <summary>False when the listing did not probe the backend (it would have loaded native libraries).</summary>
    public bool Probed { get; init; } = true;
}

/// <summary>A zoo network as <c>lightnet zoo list --json</c> lists it (reference numbers, nothing built).</summary>
internal sealed record ZooEntryJson(
    string Name, string Family, long Parameters, long Macs, int DefaultResolution, int MinResolution,
    IReadOnlyList<double> WidthMultipliers, string Preprocessing, string? PretrainedFile, string Paper);

/// <summary>A graph input or output with its resolved shape.</summary>
internal sealed record ValueJson(string Name, string Type, IReadOnlyList<string>? Shape);

/// <summary>One layer (node) of <c>lightnet info --json</c>.</summary>
internal sealed record LayerJson(int Index, string OpType, string Name, IReadOnlyList<long> OutputShape, long Parameters, long Macs, long OutputBytes);

/// <summary>What <c>lightnet info --json</c> prints.</summary>
internal sealed record InfoJson
{
    public required string Model { get; init; }

    public required string Producer { get; init; }

    public long IrVersion { get; init; }

    public long Opset { get; init; }

    public long Parameters { get; init; }

    public long BufferValues { get; init; }

    public long ConstantValues { get; init; }

    public long Macs { get; init; }

    public long WeightBytes { get; init; }

    public long FileBytes { get; init; }

    public long PeakActivationBytes { get; init; }

    public required IReadOnlyList<ValueJson> Inputs { get; init; }

    public required IReadOnlyList<ValueJson> Outputs { get; init; }

    public required IReadOnlyDictionary<string, int> OperatorCounts { get; init; }

    public required IReadOnlyList<LayerJson> Layers { get; init; }
}

/// <summary>Source-generated JSON for the command line's own outputs.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, NewLine = "\n",
    UseStringEnumConverter = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(IReadOnlyList<BackendJson>))]
[JsonSerializable(typeof(IReadOnlyList<ZooEntryJson>))]
[JsonSerializable(typeof(IReadOnlyList<LightNet.Operators.OperatorInfo>))]
[JsonSerializable(typeof(InfoJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>Writes the command line's JSON: the generated metadata, with readable (not HTML-escaped) text.</summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = CliJsonContext.Default,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NewLine = "\n",
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serializes a value.</summary>
    public static string Serialize<T>(T value) =>
        JsonSerializer.Serialize(value, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));
}
