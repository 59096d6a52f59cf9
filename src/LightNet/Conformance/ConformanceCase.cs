using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Onnx.Protos;

namespace LightNet.Conformance;

/// <summary>Finds test cases and runs one case on one backend: load, session, feed, compare.</summary>
internal static class ConformanceCase
{
    /// <summary>The error code of a refusal by the runner itself (data it cannot express), not by the backend.</summary>
    public const string RunnerCode = "Runner";

    /// <summary>The case folders under <paramref name="root"/>, as paths relative to it with <c>/</c>, in ordinal order.</summary>
    public static List<string> Discover(string root, string? filter)
    {
        if (!Directory.Exists(root))
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Conformance test folder '{root}' does not exist.");
        }

        Regex? regex;
        try
        {
            regex = filter is { Length: > 0 } ? new Regex(filter, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) : null;
        }
        catch (ArgumentException e)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The filter '{filter}' is not a valid regular expression: {e.Message}", e);
        }

        string full = Path.GetFullPath(root);
        var cases = new List<string>();
        try
        {
            foreach (string model in Directory.EnumerateFiles(full, "model.onnx", SearchOption.AllDirectories))
            {
                string dir = Path.GetDirectoryName(model)!;
                if (!Directory.EnumerateDirectories(dir, "test_data_set_*").Any())
                {
                    continue;
                }

                string relative = Path.GetRelativePath(full, dir).Replace('\\', '/');
                if (regex is null || regex.IsMatch(relative))
                {
                    cases.Add(relative);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot list conformance test folder '{root}': {e.Message}", e);
        }

        cases.Sort(StringComparer.Ordinal);
        return cases;
    }

    /// <summary>Runs one case; never throws except for cancellation. Exceptions that are not LightNet's become <see cref="ConformanceOutcome.Crashed"/>.</summary>
    public static ConformanceCaseResult Run(string root, string relative, Backend backend, ConformanceSettings settings)
    {
        var clock = Stopwatch.StartNew();
        string dir = Path.Combine(root, relative);
        IReadOnlyList<string> ops = [];
        ConformanceCaseResult Result(ConformanceOutcome outcome, string? code, string? reason, double? maxError = null, string? worst = null) =>
            new(relative, backend.Name, outcome, ConformanceOperators.GroupKey(relative, ops), ops, code, reason is null ? null : Summarize(reason, dir),
                maxError, worst, clock.Elapsed.TotalSeconds) { Detail = reason is null ? null : Detail(reason, dir) };

        try
        {
            string modelPath = Path.Combine(dir, "model.onnx");
            Model model;
            try
            {
                model = Model.Load(modelPath);
            }
            catch (LightNetException e)
            {
                ops = OpTypesFromFile(modelPath);
                return Result(ConformanceOutcome.Refused, e.Code.ToString(), e.Message);
            }

            ops = model.Graph.Nodes.Select(n => n.OpType).Distinct(StringComparer.Ordinal).ToArray();
            if (UnsupportedByRunner(model) is string why)
            {
                return Result(ConformanceOutcome.Refused, RunnerCode, why);
            }

            List<string> dataSets = Directory.EnumerateDirectories(dir, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
            var inputNames = model.Graph.Inputs.Select(i => i.Name).ToList();
            var outputNames = model.Graph.Outputs.Select(o => o.Name).ToList();

            // Read all data first, so that data the runner cannot express is not blamed on the backend.
            var data = new List<(Dictionary<string, TensorData> Inputs, List<TensorData?> Outputs)>();
            foreach (string set in dataSets)
            {
                var inputs = new Dictionary<string, TensorData>(StringComparer.Ordinal);
                for (int i = 0; File.Exists(Path.Combine(set, $"input_{i}.pb")); i++)
                {
                    if (ReadTensor(Path.Combine(set, $"input_{i}.pb"), out TensorData? t, out string? problem) is false)
                    {
                        return Result(ConformanceOutcome.Refused, RunnerCode, problem);
                    }

                    string name = inputNames.Contains(t!.Name) ? t.Name : i < inputNames.Count ? inputNames[i] : t.Name;
                    inputs[name] = t;
                }

                var outputs = new List<TensorData?>();
                for (int i = 0; File.Exists(Path.Combine(set, $"output_{i}.pb")); i++)
                {
                    if (ReadTensor(Path.Combine(set, $"output_{i}.pb"), out TensorData? t, out string? problem) is false)
                    {
                        return Result(ConformanceOutcome.Refused, RunnerCode, problem);
                    }

                    outputs.Add(t);
                }

                data.Add((inputs, outputs));
            }

            if (data.SelectMany(d => d.Inputs.Values.Concat(d.Outputs!)).FirstOrDefault(t => t!.ElementType == TensorElementType.String) is { } s)
            {
                return Result(ConformanceOutcome.Refused, RunnerCode, $"string tensors are not supported by the runner ('{s.Name}')");
            }

            if (data.SelectMany(d => d.Inputs.Values.Concat(d.Outputs!)).FirstOrDefault(t => t!.ElementType.SizeInBits() is > 0 and < 8) is { } packed)
            {
                return Result(ConformanceOutcome.Refused, RunnerCode, $"{packed.ElementType} tensors (packed 4-bit) are not supported by the runner ('{packed.Name}'): a TensorBuffer cannot hold them");
            }

            IInferenceSession session;
            try
            {
                session = backend.CreateSession(model, new InferenceOptions { Threads = settings.Threads });
            }
            catch (LightNetException e)
            {
                return Result(ConformanceOutcome.Refused, e.Code.ToString(), e.Message);
            }

            using (session)
            {
                var declared = session.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
                double worstError = 0;
                for (int d = 0; d < data.Count; d++)
                {
                    var feeds = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
                    foreach ((string name, TensorData t) in data[d].Inputs)
                    {
                        if (declared.Count == 0 || declared.Contains(name))
                        {
                            feeds[name] = ToBuffer(t);
                        }
                    }

                    IReadOnlyDictionary<string, TensorBuffer> results;
                    try
                    {
                        results = session.Run(feeds);
                    }
                    catch (LightNetException e)
                    {
                        return Result(ConformanceOutcome.Refused, e.Code.ToString(), e.Message);
                    }

                    string setName = dataSets.Count > 1 ? $"{Path.GetFileName(dataSets[d])}: " : "";
                    for (int o = 0; o < data[d].Outputs.Count; o++)
                    {
                        TensorData expected = data[d].Outputs[o]!;
                        string name = o < outputNames.Count ? outputNames[o] : expected.Name;
                        if (!results.TryGetValue(name, out TensorBuffer? actual))
                        {
                            return Result(ConformanceOutcome.Wrong, null, $"{setName}output '{name}' is missing from the backend's results");
                        }

                        Comparison c = Compare(expected, actual, settings.RelativeTolerance, settings.AbsoluteTolerance);
                        if (c.Problem is not null)
                        {
                            return Result(ConformanceOutcome.Wrong, null, $"{setName}output '{name}': {c.Problem}", c.MaxAbsoluteError,
                                c.WorstIndex is null ? null : name + c.WorstIndex);
                        }

                        worstError = Math.Max(worstError, c.MaxAbsoluteError ?? 0);
                    }
                }

                return Result(ConformanceOutcome.Pass, null, null, worstError);
            }
        }
        catch (LightNetException e)
        {
            return Result(ConformanceOutcome.Refused, e.Code.ToString(), e.Message);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            // catch-all: a case that throws anything is counted as Crashed, with the exception's type, message and frame.
            // Where it was thrown, so that a crash report points at the code at fault.
            // (DiagnosticMethodInfo rather than StackFrame.GetMethod: it needs no reflection metadata, so it works trimmed and under NativeAOT.)
            string? frame = new StackTrace(e, fNeedFileInfo: false).GetFrames().Select(DiagnosticMethodInfo.Create)
                .Where(m => !string.IsNullOrEmpty(m?.DeclaringTypeName))
                .OrderBy(m => m!.DeclaringTypeName.StartsWith("LightNet.", StringComparison.Ordinal) ? 0 : 1)
                .Select(m => $"{m!.DeclaringTypeName}.{m.Name}").FirstOrDefault();
            string message = e.Message.Length > 0 ? FirstLine(e.Message) : e.GetType().FullName!;
            return Result(ConformanceOutcome.Crashed, e.GetType().Name, frame is null ? message : $"{message} (in {frame})");
        }
    }

    /// <summary>
    /// One line of a message: its first line, and when that ends with a colon (a list follows) the first item of the list too;
    /// the case's folder is written as <c>…/</c>, so that the same refusal reads the same in every case.
    /// </summary>
    internal static string Summarize(string text, string caseDir)
    {
        string[] lines = text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string line = lines.Length == 0 ? "" : lines[0];
        if (line.EndsWith(':') && lines.Length > 1)
        {
            line += " " + lines[1].TrimStart('-', ' ') + (lines.Length > 2 ? $" (+{lines.Length - 2} more)" : "");
        }

        string folder = Path.GetFullPath(caseDir).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        line = line.Replace(folder, "…/", StringComparison.Ordinal);
        return line.Length > 400 ? line[..400] + "…" : line;
    }

    /// <summary>The whole message when it has more than one line, lines joined with " | ", the case's folder as <c>…/</c>; else null.</summary>
    internal static string? Detail(string text, string caseDir)
    {
        string[] lines = text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length < 2)
        {
            return null;
        }

        string folder = Path.GetFullPath(caseDir).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        string joined = string.Join(" | ", lines).Replace(folder, "…/", StringComparison.Ordinal);
        return joined.Length > 4000 ? joined[..4000] + "…" : joined;
    }

    internal static string FirstLine(string text)
    {
        string line = text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    private static string[] OpTypesFromFile(string path)
    {
        try
        {
            ModelProto proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            return proto.Graph?.Node.Select(n => n.OpType).Distinct(StringComparer.Ordinal).ToArray() ?? [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidProtocolBufferException)
        {
            return [];
        }
    }

    private static string? UnsupportedByRunner(Model model)
    {
        GraphProto g = model.Proto.Graph;
        foreach ((ValueInfoProto v, string role) in g.Input.Select(v => (v, "input")).Concat(g.Output.Select(v => (v, "output"))))
        {
            if (v.Type is { } t && t.ValueCase != TypeProto.ValueOneofCase.TensorType && t.ValueCase != TypeProto.ValueOneofCase.None)
            {
                string kind = t.ValueCase switch
                {
                    TypeProto.ValueOneofCase.SequenceType => "sequence",
                    TypeProto.ValueOneofCase.OptionalType => "optional",
                    TypeProto.ValueOneofCase.MapType => "map",
                    _ => t.ValueCase.ToString().ToLowerInvariant(),
                };
                return $"sequence/optional values not supported by the runner ({role} '{v.Name}' is of type {kind})";
            }
        }

        return null;
    }

    private static bool ReadTensor(string path, out TensorData? tensor, out string? problem)
    {
        tensor = null;
        problem = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read '{path}': {e.Message}", e);
        }

        TensorProto proto;
        try
        {
            proto = TensorProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            problem = $"sequence/optional values not supported by the runner ('{Path.GetFileName(path)}' is not a TensorProto)";
            return false;
        }

        if (proto.DataType == 0)
        {
            problem = $"sequence/optional values not supported by the runner ('{Path.GetFileName(path)}' is not a plain tensor)";
            return false;
        }

        if (!((TensorElementType)proto.DataType).IsKnown())
        {
            problem = $"element type {proto.DataType} of '{Path.GetFileName(path)}' is not one LightNet knows (TensorElementType)";
            return false;
        }

        tensor = new OnnxReader(ModelLoadOptions.Default, path, Path.GetDirectoryName(path)).ReadTensor(proto, $"'{Path.GetFileName(path)}'");
        return true;
    }

    /// <summary>Writes a tensor as a serialized TensorProto, the format of <c>input_N.pb</c> and <c>output_N.pb</c>.</summary>
    internal static void WriteTensor(string path, TensorData tensor) => File.WriteAllBytes(path, ModelBuilder.ToProto(tensor).ToByteArray());

    private static TensorBuffer ToBuffer(TensorData t)
    {
        TensorBuffer buffer = TensorBuffer.Allocate(t.ElementType, t.Dims.ToArray());
        t.RawData.Span.CopyTo(buffer.Bytes);
        return buffer;
    }

    internal readonly record struct Comparison(string? Problem, double? MaxAbsoluteError, string? WorstIndex);

    /// <summary>Compares one output: element type, shape, then values (allclose for floating types, exact otherwise).</summary>
    internal static Comparison Compare(TensorData expected, TensorBuffer actual, double rtol, double atol)
    {
        if (actual.ElementType != expected.ElementType)
        {
            return new($"element type {actual.ElementType}, expected {expected.ElementType}", null, null);
        }

        if (!actual.Shape.SequenceEqual(expected.Dims))
        {
            return new($"shape mismatch: {Dimension.Format(actual.Shape)}, expected {Dimension.Format(expected.Dims)}", null, null);
        }

        ReadOnlySpan<byte> e = expected.RawData.Span;
        ReadOnlySpan<byte> a = actual.Bytes;
        TensorElementType type = expected.ElementType;
        int components = type is TensorElementType.Complex64 or TensorElementType.Complex128 ? 2 : 1;
        long count = expected.ElementCount * components;
        Func<ReadOnlySpan<byte>, long, double>? read = FloatReader(type);
        if (read is null)
        {
            // Integers, bools and the 8- and 4-bit float formats: exact, byte for byte.
            if (e.SequenceEqual(a))
            {
                return new(null, 0, null);
            }

            int width = Math.Max(1, type.SizeInBits() / 8);
            long firstBad = -1, bad = 0;
            double maxDiff = 0;
            for (long i = 0; i < e.Length / width; i++)
            {
                ReadOnlySpan<byte> ev = e.Slice((int)(i * width), width), av = a.Slice((int)(i * width), width);
                if (!ev.SequenceEqual(av))
                {
                    bad++;
                    if (firstBad < 0) firstBad = i;
                    maxDiff = Math.Max(maxDiff, Math.Abs(IntegerValue(type, av) - IntegerValue(type, ev)));
                }
            }

            long at = Math.Max(firstBad, 0) * (type.SizeInBits() == 4 ? 2 : 1);
            string index = Index(expected.Dims, at);
            return new($"{bad} of {expected.ElementCount} values differ (exact match required); first at {index}: {Show(type, a, at)}, expected {Show(type, e, at)}",
                maxDiff, index);
        }

        double maxAbs = 0, worstExcess = 0;
        long worst = -1, failures = 0;
        for (long i = 0; i < count; i++)
        {
            double ev = read(e, i), av = read(a, i);
            double excess;
            if (double.IsNaN(ev) || double.IsNaN(av))
            {
                excess = double.IsNaN(ev) && double.IsNaN(av) ? 0 : double.PositiveInfinity;
                if (excess > 0) maxAbs = double.PositiveInfinity;
            }
            else if (double.IsInfinity(ev) || double.IsInfinity(av))
            {
                excess = ev == av ? 0 : double.PositiveInfinity;
                if (excess > 0) maxAbs = double.PositiveInfinity;
            }
            else
            {
                double diff = Math.Abs(av - ev);
                maxAbs = Math.Max(maxAbs, diff);
                double tolerance = atol + rtol * Math.Abs(ev);
                excess = diff <= tolerance ? 0 : tolerance > 0 ? diff / tolerance : double.PositiveInfinity;
            }

            if (excess > 0)
            {
                failures++;
                if (worst < 0 || excess > worstExcess)
                {
                    worst = i;
                    worstExcess = excess;
                }
            }
        }

        if (failures == 0)
        {
            return new(null, maxAbs, null);
        }

        string where = Index(expected.Dims, worst / components) + (components == 2 ? (worst % 2 == 0 ? ".re" : ".im") : "");
        string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        return new($"{failures} of {count} values outside rtol {G(rtol)}, atol {G(atol)}; max abs error {G(maxAbs)}; worst at {where}: {G(read(a, worst))}, expected {G(read(e, worst))}",
            maxAbs, where);
    }

    private static Func<ReadOnlySpan<byte>, long, double>? FloatReader(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Complex64 => static (s, i) => BinaryPrimitives.ReadSingleLittleEndian(s[(int)(4 * i)..]),
        TensorElementType.Double or TensorElementType.Complex128 => static (s, i) => BinaryPrimitives.ReadDoubleLittleEndian(s[(int)(8 * i)..]),
        TensorElementType.Float16 => static (s, i) => (double)BinaryPrimitives.ReadHalfLittleEndian(s[(int)(2 * i)..]),
        TensorElementType.BFloat16 => static (s, i) => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s[(int)(2 * i)..]) << 16),
        _ => null,
    };

    private static double IntegerValue(TensorElementType type, ReadOnlySpan<byte> v) => type switch
    {
        TensorElementType.Int8 => (sbyte)v[0],
        TensorElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(v),
        TensorElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(v),
        TensorElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(v),
        TensorElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(v),
        TensorElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(v),
        TensorElementType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(v),
        _ => v[0],
    };

    private static string Show(TensorElementType type, ReadOnlySpan<byte> data, long index)
    {
        int width = type.SizeInBits() / 8;
        if (width == 0 || (index + 1) * width > data.Length)
        {
            return index / 2 < data.Length ? $"0x{data[(int)(index / 2)]:x2}" : "?";
        }

        ReadOnlySpan<byte> v = data.Slice((int)(index * width), width);
        return type switch
        {
            TensorElementType.Bool => v[0] != 0 ? "true" : "false",
            TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Int16 or TensorElementType.UInt16 or TensorElementType.Int32
                or TensorElementType.UInt32 or TensorElementType.Int64 => IntegerValue(type, v).ToString(CultureInfo.InvariantCulture),
            TensorElementType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(v).ToString(CultureInfo.InvariantCulture),
            _ => "0x" + Convert.ToHexString(v),
        };
    }

    /// <summary>The multi-dimensional index of a flat (row-major) index, as <c>[i,j,k]</c>.</summary>
    internal static string Index(IReadOnlyList<long> dims, long flat)
    {
        if (dims.Count == 0)
        {
            return "[]";
        }

        var index = new long[dims.Count];
        for (int d = dims.Count - 1; d >= 0; d--)
        {
            long n = Math.Max(dims[d], 1);
            index[d] = flat % n;
            flat /= n;
        }

        return "[" + string.Join(',', index) + "]";
    }
}

/// <summary>What a case run needs besides the case and the backend.</summary>
internal sealed record ConformanceSettings(double RelativeTolerance, double AbsoluteTolerance, int? Threads);
