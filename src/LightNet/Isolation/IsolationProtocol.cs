using System.Text.Json;
using LightNet.Backends;
using LightNet.Onnx;

namespace LightNet.Isolation;

/// <summary>
/// The line protocol between an isolated session and its worker. Every line the worker writes starts with
/// <see cref="Prefix"/>. Tensors travel through <see cref="SharedTensorMemory"/> (the lines carry each tensor's offset),
/// or, when the session has none (<see cref="IsolationSettings.SharedMemory"/> false), inside the JSON lines as base64
/// (measured side by side in docs/reliability.md).
/// </summary>
internal static class IsolationProtocol
{
    /// <summary>
    /// The source-generated JSON shape of an operator profile (the report's own), so the worker and the host agree under
    /// trimming and NativeAOT; not indented, since the protocol is one line per message.
    /// </summary>
    internal static System.Text.Json.Serialization.Metadata.JsonTypeInfo<Profiling.OperatorProfile> OperatorProfileJson { get; } =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<Profiling.OperatorProfile>)new JsonSerializerOptions(Reports.ReportJson.Options) { WriteIndented = false }
            .GetTypeInfo(typeof(Profiling.OperatorProfile));

    public const string Prefix = "@@lightnet-session ";
    public const string Ready = Prefix + "ready ";
    public const string Result = Prefix + "result ";
    public const string Profile = Prefix + "profile ";
    public const string Error = Prefix + "error ";

    /// <summary>Writes a JSON array of tensors: name, element type, shape and either the offset of the bytes in <paramref name="shared"/> or the bytes as base64.</summary>
    public static void WriteTensors(Utf8JsonWriter w, IReadOnlyDictionary<string, TensorBuffer> tensors, SharedTensorMemory? shared)
    {
        long[] offsets = [];
        if (shared is not null)
        {
            (offsets, long total) = SharedTensorMemory.Layout(tensors.Values.Select(t => (long)t.ByteCount));
            shared.EnsureWritable(total);
        }

        w.WriteStartArray();
        int i = 0;
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
            if (shared is not null)
            {
                shared.Write(offsets[i], t.Bytes);
                w.WriteNumber("offset", offsets[i]);
            }
            else
            {
                w.WriteBase64String("data", t.Bytes);
            }

            w.WriteEndObject();
            i++;
        }

        w.WriteEndArray();
    }

    /// <summary>Reads what <see cref="WriteTensors"/> wrote (the tensors' bytes from <paramref name="shared"/> or from base64).</summary>
    public static Dictionary<string, TensorBuffer> ReadTensors(JsonElement array, SharedTensorMemory? shared)
    {
        var tensors = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        foreach (JsonElement e in array.EnumerateArray())
        {
            long[] shape = [.. e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
            var t = TensorBuffer.Allocate((TensorElementType)e.GetProperty("type").GetInt32(), shape);
            string name = e.GetProperty("name").GetString()!;
            if (e.TryGetProperty("offset", out JsonElement offset))
            {
                if (shared is null)
                {
                    throw new LightNetException(ErrorCode.InvalidTensor, $"Tensor '{name}' arrived by shared memory, but this side has none.");
                }

                shared.Read(offset.GetInt64(), t.Bytes);
            }
            else
            {
                byte[] data = e.GetProperty("data").GetBytesFromBase64();
                if (data.Length != t.ByteCount)
                {
                    throw new LightNetException(ErrorCode.InvalidTensor, $"Tensor '{name}' from the worker has {data.Length} bytes, its shape needs {t.ByteCount}.");
                }

                data.CopyTo(t.Bytes);
            }

            tensors[name] = t;
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
