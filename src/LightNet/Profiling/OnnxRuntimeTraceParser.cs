using System.Buffers;
using System.Text.Json;

namespace LightNet.Profiling;

/// <summary>
/// Reads the profiling trace ONNX Runtime writes and sums it into an <see cref="OperatorProfile"/>: kernel time per node
/// and per operator type.
/// </summary>
/// <remarks>
/// <para>
/// To get a trace, set <c>SessionOptions.ProfileOutputPathPrefix</c> <b>before</b> <c>SessionOptions.EnableProfiling = true</c>:
/// enabling profiling captures the prefix current at that moment, so a prefix set afterwards is silently ignored and the
/// file lands in the working folder as <c>onnxruntime_profile__&lt;date&gt;.json</c>. Create the session, run it, then call
/// <c>InferenceSession.EndProfiling()</c>, which finishes the file and returns its path. The file is only complete after
/// that call (or after the session is disposed); a trace read earlier is truncated and rejected.
/// </para>
/// <para>
/// The trace is a Chrome-trace JSON array. Events with <c>"cat": "Node"</c> and a name ending in <c>_kernel_time</c>
/// carry a node's kernel duration (<c>dur</c>, microseconds) and in <c>args</c> its <c>op_name</c> and <c>provider</c>;
/// the <c>_fence_before</c> and <c>_fence_after</c> events around them are not counted. Events with
/// <c>"cat": "Session"</c> and the name <c>model_run</c> mark one <c>Run</c> call each; a node event belongs to the last run
/// that started (<c>ts</c>) at or before it. Other events, unknown fields and events without <c>args</c> are ignored or
/// tolerated. The file is read as a stream, so traces of many megabytes are fine.
/// </para>
/// <para>
/// Node names and operator types are those of the graph ONNX Runtime executed after its optimizations, not necessarily
/// the model's. With <c>GraphOptimizationLevel.ORT_ENABLE_EXTENDED</c> a <c>Conv</c> followed by <c>Relu</c> runs as one
/// <c>FusedConv</c> node named after the <c>Conv</c>; with the default <c>ORT_ENABLE_ALL</c> on an x64 CPU the NCHWc
/// layout pass turns it into a <c>Conv</c> named after its output (such as <c>features/Relu_1_output_0_nchwc</c>) and adds
/// <c>ReorderOutput</c> nodes; <c>ORT_ENABLE_BASIC</c> keeps the model's convolutions and their names (it only drops
/// nodes such as <c>Identity</c>).
/// </para>
/// </remarks>
public static class OnnxRuntimeTraceParser
{
    private const string KernelTimeSuffix = "_kernel_time";
    private const int InitialBufferBytes = 64 * 1024;
    private const int MaxEventBytes = 64 * 1024 * 1024;

    /// <summary>Reads a trace file written by ONNX Runtime.</summary>
    /// <param name="traceJsonPath">Path of the trace, as returned by <c>InferenceSession.EndProfiling()</c>.</param>
    /// <param name="skipFirstRuns">How many runs to leave out from the start, such as warm-up runs; null or 0 for none.</param>
    /// <returns>The per-node and per-operator-type profile.</returns>
    /// <exception cref="LightNetException">The path is empty, or <paramref name="skipFirstRuns"/> is negative or not below the
    /// number of runs in the trace (<see cref="ErrorCode.InvalidArgument"/>); the file is missing, unreadable, truncated or
    /// not a JSON array of trace events (<see cref="ErrorCode.IOFailure"/>). The message names the file.</exception>
    public static OperatorProfile Parse(string traceJsonPath, int? skipFirstRuns = null)
    {
        ArgumentNullException.ThrowIfNull(traceJsonPath);
        if (string.IsNullOrWhiteSpace(traceJsonPath))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Trace path is empty.");
        }

        ValidateSkip(skipFirstRuns, $"trace file '{traceJsonPath}'");
        FileStream stream;
        try
        {
            stream = new FileStream(traceJsonPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            string reason = e is FileNotFoundException or DirectoryNotFoundException ? "does not exist" : $"cannot be opened: {e.Message.TrimEnd('.')}";
            throw new LightNetException(ErrorCode.IOFailure, $"Trace file '{traceJsonPath}' {reason}.", e);
        }

        using (stream)
        {
            return ParseCore(stream, skipFirstRuns ?? 0, $"trace file '{traceJsonPath}'");
        }
    }

    /// <summary>Reads a trace written by ONNX Runtime from a stream (read to its end; not closed).</summary>
    /// <param name="stream">A readable stream holding the trace JSON.</param>
    /// <param name="skipFirstRuns">How many runs to leave out from the start, such as warm-up runs; null or 0 for none.</param>
    /// <param name="sourceName">A name for error messages, such as the original file name.</param>
    /// <returns>The per-node and per-operator-type profile.</returns>
    /// <exception cref="LightNetException">As for <see cref="Parse(string, int?)"/>; the message names
    /// <paramref name="sourceName"/>.</exception>
    public static OperatorProfile Parse(Stream stream, int? skipFirstRuns = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string source = $"trace '{sourceName ?? "stream"}'";
        ValidateSkip(skipFirstRuns, source);
        return ParseCore(stream, skipFirstRuns ?? 0, source);
    }

    private static void ValidateSkip(int? skipFirstRuns, string source)
    {
        if (skipFirstRuns < 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Cannot skip {skipFirstRuns} runs of {source}: the count must be 0 or more.");
        }
    }

    private static OperatorProfile ParseCore(Stream stream, int skipFirstRuns, string source)
    {
        var events = new TraceEvents();
        try
        {
            ReadEvents(stream, events, source);
        }
        catch (JsonException e)
        {
            throw new LightNetException(ErrorCode.IOFailure,
                $"The {source} is not a complete ONNX Runtime trace: malformed or truncated JSON ({e.Message}). ONNX Runtime " +
                "completes the file only in InferenceSession.EndProfiling() or when the session is disposed.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ObjectDisposedException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read the {source}: {e.Message}", e);
        }

        return Summarize(events, skipFirstRuns, source);
    }

    /// <summary>Streams the top-level array through a growing buffer, handing each complete element to <see cref="ReadEvent"/>.</summary>
    private static void ReadEvents(Stream stream, TraceEvents events, string source)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        try
        {
            int length = 0;
            bool final = Fill(stream, buffer, ref length);
            var state = new JsonReaderState(new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            bool started = false;
            bool finished = false;
            while (true)
            {
                var reader = new Utf8JsonReader(buffer.AsSpan(0, length), final, state);
                long consumed = 0;
                while (true)
                {
                    JsonReaderState before = reader.CurrentState;
                    long beforeConsumed = reader.BytesConsumed;
                    if (!reader.Read())
                    {
                        consumed = reader.BytesConsumed;
                        state = reader.CurrentState;
                        break;
                    }

                    if (!started)
                    {
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            throw new LightNetException(ErrorCode.IOFailure,
                                $"The {source} is not an ONNX Runtime trace: it does not start with a JSON array of events.");
                        }

                        started = true;
                        continue;
                    }

                    if (reader.CurrentDepth == 0 && reader.TokenType == JsonTokenType.EndArray)
                    {
                        finished = true;
                        continue;
                    }

                    // An element of the array: handle it once all of it is in the buffer, else rewind to before it.
                    int start = (int)reader.TokenStartIndex;
                    if (!reader.TrySkip())
                    {
                        consumed = beforeConsumed;
                        state = before;
                        break;
                    }

                    if (reader.TokenType == JsonTokenType.EndObject)
                    {
                        ReadEvent(buffer.AsSpan(start, (int)reader.BytesConsumed - start), events);
                    }
                }

                if (final)
                {
                    if (!finished)
                    {
                        throw new LightNetException(ErrorCode.IOFailure,
                            $"The {source} is truncated: its event array does not end. ONNX Runtime completes the file only in " +
                            "InferenceSession.EndProfiling() or when the session is disposed.");
                    }

                    return;
                }

                int left = length - (int)consumed;
                if (left == buffer.Length)
                {
                    if (buffer.Length >= MaxEventBytes)
                    {
                        throw new LightNetException(ErrorCode.IOFailure,
                            $"The {source} has a single event of more than {MaxEventBytes} bytes; it is not an ONNX Runtime trace.");
                    }

                    byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, larger, 0, left);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                else
                {
                    Buffer.BlockCopy(buffer, (int)consumed, buffer, 0, left);
                }

                length = left;
                final = Fill(stream, buffer, ref length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads until the buffer is full or the stream ends; true at the end of the stream.</summary>
    private static bool Fill(Stream stream, byte[] buffer, ref int length)
    {
        while (length < buffer.Length)
        {
            int read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0)
            {
                return true;
            }

            length += read;
        }

        return false;
    }

    /// <summary>Reads one complete event object and records it if it is a kernel-time or <c>model_run</c> event.</summary>
    private static void ReadEvent(ReadOnlySpan<byte> json, TraceEvents events)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        reader.Read(); // StartObject
        string? category = null;
        string? name = null;
        string? opName = null;
        string? provider = null;
        double? timestamp = null;
        double? duration = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("cat"u8))
            {
                reader.Read();
                category = StringOrNull(ref reader);
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                name = StringOrNull(ref reader);
            }
            else if (reader.ValueTextEquals("ts"u8))
            {
                reader.Read();
                timestamp = NumberOrNull(ref reader);
            }
            else if (reader.ValueTextEquals("dur"u8))
            {
                reader.Read();
                duration = NumberOrNull(ref reader);
            }
            else if (reader.ValueTextEquals("args"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("op_name"u8))
                    {
                        reader.Read();
                        opName = StringOrNull(ref reader);
                    }
                    else if (reader.ValueTextEquals("provider"u8))
                    {
                        reader.Read();
                        provider = StringOrNull(ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (name is null)
        {
            return;
        }

        if (category == "Session" && name == "model_run")
        {
            events.Runs.Add(timestamp ?? double.NaN);
        }
        else if (category == "Node" && name.EndsWith(KernelTimeSuffix, StringComparison.Ordinal))
        {
            events.Kernels.Add(new KernelEvent(name[..^KernelTimeSuffix.Length], opName ?? "", provider ?? "",
                timestamp ?? double.NaN, Math.Max(0, duration ?? 0)));
        }
    }

    /// <summary>The current value as a string, or null (and skipped) when it is not one.</summary>
    private static string? StringOrNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    /// <summary>The current value as a number (also a numeric string), or null (and skipped) when it is not one.</summary>
    private static double? NumberOrNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double number))
        {
            return number;
        }

        if (reader.TokenType == JsonTokenType.String &&
            double.TryParse(reader.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        reader.Skip();
        return null;
    }

    private static OperatorProfile Summarize(TraceEvents events, int skipFirstRuns, string source)
    {
        IEnumerable<KernelEvent> kernels = events.Kernels;
        int runs = events.Runs.Count;
        if (skipFirstRuns > 0)
        {
            if (skipFirstRuns >= runs)
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"Cannot skip {skipFirstRuns} runs of the {source}: it has only {runs} model_run events.");
            }

            double[] starts = events.Runs.Where(double.IsFinite).Order().ToArray();
            if (starts.Length != runs)
            {
                throw new LightNetException(ErrorCode.IOFailure,
                    $"Cannot skip runs of the {source}: some of its model_run events have no timestamp (ts).");
            }

            // A kernel belongs to the last run that started at or before it; those of skipped runs (and any before the
            // first run) are dropped. Kernels without a timestamp cannot be placed and are dropped too.
            double firstKept = starts[skipFirstRuns];
            kernels = kernels.Where(k => k.Timestamp >= firstKept);
            runs -= skipFirstRuns;
        }

        var byNode = new Dictionary<(string Name, string OpType, string Provider), (int Calls, double Micros)>();
        var callMs = new Dictionary<(string Name, string OpType, string Provider), List<double>>();
        foreach (KernelEvent kernel in kernels)
        {
            var key = (kernel.Name, kernel.OpType, kernel.Provider);
            (int calls, double micros) = byNode.GetValueOrDefault(key);
            byNode[key] = (calls + 1, micros + kernel.DurationMicros);
            if (!callMs.TryGetValue(key, out List<double>? list))
            {
                callMs[key] = list = [];
            }

            list.Add(Math.Max(0, kernel.DurationMicros) / 1000.0);
        }

        double totalMs = byNode.Values.Sum(v => v.Micros) / 1000.0;
        double Percent(double ms) => totalMs > 0 ? ms / totalMs * 100.0 : 0.0;

        OperatorTiming[] nodes = byNode
            .Select(pair =>
            {
                double ms = pair.Value.Micros / 1000.0;
                return new OperatorTiming(pair.Key.Name, pair.Key.OpType, pair.Key.Provider, pair.Value.Calls, ms,
                    ms / pair.Value.Calls, Percent(ms)).WithSpread(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(callMs[pair.Key]));
            })
            .OrderByDescending(n => n.TotalMs)
            .ThenBy(n => n.Name, StringComparer.Ordinal)
            .ThenBy(n => n.OpType, StringComparer.Ordinal)
            .ThenBy(n => n.Provider, StringComparer.Ordinal)
            .ToArray();

        OperatorTypeTiming[] byOpType = nodes
            .GroupBy(n => n.OpType, StringComparer.Ordinal)
            .Select(group =>
            {
                double ms = group.Sum(n => n.TotalMs);
                return new OperatorTypeTiming(group.Key, group.Count(), group.Sum(n => n.Calls), ms, Percent(ms));
            })
            .OrderByDescending(t => t.TotalMs)
            .ThenBy(t => t.OpType, StringComparer.Ordinal)
            .ToArray();

        return new OperatorProfile(nodes, byOpType, runs, totalMs);
    }

    private readonly record struct KernelEvent(string Name, string OpType, string Provider, double Timestamp, double DurationMicros);

    private sealed class TraceEvents
    {
        public List<double> Runs { get; } = [];

        public List<KernelEvent> Kernels { get; } = [];
    }
}
