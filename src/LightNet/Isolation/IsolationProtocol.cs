using System.Text.Json;
using LightNet.Backends;
using LightNet.Onnx;

namespace LightNet.Isolation;

/// <summary>
/// The line protocol between an isolated session and its worker. Every line the worker writes starts with
/// <see cref="Prefix"/>; tensors travel inside the JSON lines as base64 (over the pipe, not shared memory: one copy
/// and a 4/3 encoding, measured in docs/reliability.md).
/// </summary>
internal static class IsolationProtocol
{
    /// <summary>The source-generated JSON shape of an operator profile (the report's own), so the worker and the host agree under trimming and NativeAOT.</summary>
    internal static System.Text.Json.Serialization.Metadata.JsonTypeInfo<Profiling.OperatorProfile> OperatorProfileJson { get; } =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<Profiling.OperatorProfile>)Reports.ReportJson.Options.GetTypeInfo(typeof(Profiling.OperatorProfile));

    public const string Prefix = "@@lightnet-session ";
    public const string Ready = Prefix + "ready ";
    public const string Result = Prefix + "result ";
    public const string Profile = Prefix + "profile ";
    public const string Error = Prefix + "error ";

    public static void WriteTensors(Utf8JsonWriter w, IReadOnlyDictionary<string, TensorBuffer> tensors)
    {
        w.WriteStartArray();
        foreach ((string name, TensorBuffer t) in tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteNumber("type", (int)t.ElementType);
            w.WriteStartArray("shape");
            foreach (long d in t.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteBase64String("data", t.Bytes);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    public static Dictionary<string, TensorBuffer> ReadTensors(JsonElement array)
    {
        var tensors = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        foreach (JsonElement e in array.EnumerateArray())
        {
            long[] shape = [.. e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
            var t = TensorBuffer.Allocate((TensorElementType)e.GetProperty("type").GetInt32(), shape);
            byte[] data = e.GetProperty("data").GetBytesFromBase64();
            if (data.Length != t.ByteCount)
            {
                throw new LightNetException(ErrorCode.InvalidTensor, $"Tensor '{e.GetProperty("name").GetString()}' from the worker has {data.Length} bytes, its shape needs {t.ByteCount}.");
            }

            data.CopyTo(t.Bytes);
            tensors[e.GetProperty("name").GetString()!] = t;
        }

        return tensors;
    }

    public static void WriteSpecs(Utf8JsonWriter w, string property, IReadOnlyList<TensorSpec> specs)
    {
        w.WriteStartArray(property);
        foreach (TensorSpec s in specs)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteNumber("type", (int)s.ElementType);
            w.WriteStartArray("shape");
            foreach (Dimension d in s.Shape)
            {
                if (d.Value is long v)
                {
                    w.WriteNumberValue(v);
                }
                else if (d.Parameter is string p)
                {
                    w.WriteStringValue(p);
                }
                else
                {
                    w.WriteNullValue();
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    public static List<TensorSpec> ReadSpecs(JsonElement array) =>
        [.. array.EnumerateArray().Select(e => new TensorSpec(e.GetProperty("name").GetString()!, (TensorElementType)e.GetProperty("type").GetInt32(),
            [.. e.GetProperty("shape").EnumerateArray().Select(d => d.ValueKind switch
            {
                JsonValueKind.Number => Dimension.Fixed(d.GetInt64()),
                JsonValueKind.String => Dimension.Symbolic(d.GetString()!),
                _ => Dimension.Unknown,
            })]))];

    public static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            write(w);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Splits "Code message" after an error prefix into a <see cref="LightNetException"/>.</summary>
    public static LightNetException ReadError(string rest)
    {
        int space = rest.IndexOf(' ', StringComparison.Ordinal);
        ErrorCode code = Enum.TryParse(space > 0 ? rest[..space] : rest, out ErrorCode c) ? c : ErrorCode.InferenceFailed;
        return new LightNetException(code, space > 0 ? rest[(space + 1)..] : rest);
    }

    /// <summary>A message on one line (the protocol is line-based).</summary>
    public static string OneLine(string message) => message.ReplaceLineEndings(" ⏎ ");
}
