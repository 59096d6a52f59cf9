using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LightNet.Backends;
using LightNet.Isolation;

namespace LightNet.Conformance;

/// <summary>
/// Runs the ONNX backend test cases under a folder (the layout of <c>onnx/backend/test/data</c>: each case a folder with
/// <c>model.onnx</c> and <c>test_data_set_*/input_N.pb</c>, <c>output_N.pb</c>) on one or more backends and reports, per case and
/// backend, whether the outputs match: <see cref="ConformanceOutcome.Pass"/>, <see cref="ConformanceOutcome.Wrong"/>,
/// <see cref="ConformanceOutcome.Refused"/>, <see cref="ConformanceOutcome.Crashed"/> or <see cref="ConformanceOutcome.Timeout"/>.
/// </summary>
/// <remarks>
/// <para>
/// <c>input_N.pb</c> feeds the graph input named like the TensorProto when there is one, else the N-th graph input that is not an
/// initializer; <c>output_N.pb</c> is compared with the N-th graph output. Floating-point outputs (float, double, float16, bfloat16,
/// complex) must be allclose: |actual − expected| ≤ atol + rtol·|expected|, NaN equals NaN and infinities must match exactly; every
/// other element type must match exactly; element type and shape must match exactly (a scalar <c>[]</c> is not <c>[1]</c>).
/// A case with several data sets passes when all of them do. Cases whose values are sequences, optionals, maps or strings are
/// refused by the runner itself (error code <c>Runner</c>).
/// </para>
/// <para>
/// In <see cref="ConformanceIsolation.Isolated"/> mode each backend's cases run in a worker process (started with
/// <see cref="ConformanceOptions.WorkerCommand"/>, which must call <see cref="RunWorker"/>) that runs them one after the other and
/// reports each result as one line; when a case runs past <see cref="ConformanceOptions.CaseTimeout"/> or the worker dies, the case in
/// flight is recorded as <see cref="ConformanceOutcome.Timeout"/> or <see cref="ConformanceOutcome.Crashed"/>, and a new worker
/// continues with the next case.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// ConformanceReport report = ConformanceRunner.Run(new ConformanceOptions
/// {
///     TestRoot = "onnx-backend-tests",
///     Backends = ["cpu-simd", "ort-cpu"],
///     Filter = "node/test_(conv|relu)",
/// });
/// Console.WriteLine(report.Totals("cpu-simd").Pass);
/// ConformanceMarkdown.Write(report, "conformance.md", reference: "ort-cpu");
/// </code>
/// </example>
public static class ConformanceRunner
{
    private const string Prefix = "@@lightnet-conformance ";
    private const string ReadyLine = Prefix + "ready";
    private const string StartPrefix = Prefix + "start ";
    private const string ResultPrefix = Prefix + "result ";
    private const string ErrorPrefix = Prefix + "error ";

    /// <summary>The test cases under a folder: every folder with a <c>model.onnx</c> and a <c>test_data_set_*</c> folder.</summary>
    /// <param name="testRoot">The folder, searched recursively.</param>
    /// <param name="filter">A regular expression the case's relative path (with <c>/</c>) must match; null for all.</param>
    /// <returns>The cases' paths relative to <paramref name="testRoot"/>, with <c>/</c>, in ordinal order.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the folder is missing or unreadable; <see cref="ErrorCode.InvalidArgument"/> for a malformed filter.</exception>
    public static IReadOnlyList<string> DiscoverCases(string testRoot, string? filter = null)
    {
        ArgumentNullException.ThrowIfNull(testRoot);
        return ConformanceCase.Discover(testRoot, filter);
    }

    /// <summary>Runs every case on every backend and returns the report.</summary>
    /// <param name="options">What to run and how.</param>
    /// <param name="progress">Receives each result as it comes; in isolated mode on a supervising thread, from several at once when <see cref="ConformanceOptions.Workers"/> is above 1; null for none.</param>
    /// <param name="cancellationToken">Stops the run between cases (isolated workers are killed).</param>
    /// <returns>The report: one result per case and backend.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for invalid options or an unknown backend;
    /// <see cref="ErrorCode.BackendUnavailable"/> when a backend cannot run here; <see cref="ErrorCode.IOFailure"/> when the folder is
    /// missing; <see cref="ErrorCode.InvalidOperation"/> when a worker process cannot be started or does not start up.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ConformanceReport Run(ConformanceOptions options, IProgress<ConformanceCaseResult>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string root = Path.GetFullPath(options.TestRoot);
        List<string> cases = ConformanceCase.Discover(root, options.Filter);
        var backends = options.Backends.Distinct(StringComparer.Ordinal).Select(Backend.Parse).ToList();
        foreach (Backend b in backends)
        {
            BackendAvailability availability = b.CheckAvailability();
            if (!availability.IsAvailable)
            {
                throw new LightNetException(ErrorCode.BackendUnavailable, $"Backend '{b.Name}' cannot run here: {availability.Reason}");
            }
        }

        var settings = new ConformanceSettings(options.RelativeTolerance, options.AbsoluteTolerance, options.Threads);
        var results = new List<ConformanceCaseResult>();
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Backend backend in backends)
        {
            var clock = Stopwatch.StartNew();
            if (options.Isolation == ConformanceIsolation.InProcess)
            {
                foreach (string c in cases)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    ConformanceCaseResult r = ConformanceCase.Run(root, c, backend, settings);
                    results.Add(r);
                    progress?.Report(r);
                }
            }
            else
            {
                results.AddRange(RunIsolated(root, cases, backend.Name, options, progress, cancellationToken));
            }

            seconds[backend.Name] = clock.Elapsed.TotalSeconds;
        }

        return new ConformanceReport(root, backends.Select(b => b.Name).ToList(), results, options.RelativeTolerance, options.AbsoluteTolerance,
            options.Isolation, seconds);
    }

    /// <summary>
    /// The worker side of an isolated run; call it from the process <see cref="ConformanceOptions.WorkerCommand"/> starts. Reads a settings
    /// line (JSON) and then one case per line from <paramref name="input"/> to its end, and writes one line per case to <paramref name="output"/>,
    /// flushed at once. Stops at the end of the list.
    /// </summary>
    /// <param name="input">The worker's standard input.</param>
    /// <param name="output">The worker's standard output; nothing else may write to it.</param>
    /// <returns>The process exit code: 0, or 1 when the settings are invalid or the backend cannot run here (reported on <paramref name="output"/>).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static int RunWorker(TextReader input, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        List<string> lines = [];
        for (string? line = input.ReadLine(); line is not null; line = input.ReadLine())
        {
            if (line.Length > 0)
            {
                lines.Add(line);
            }
        }

        Backend backend;
        string root;
        ConformanceSettings settings;
        try
        {
            if (lines.Count == 0)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, "The conformance worker got no settings on its standard input.");
            }

            using JsonDocument doc = JsonDocument.Parse(lines[0]);
            JsonElement s = doc.RootElement;
            root = s.GetProperty("root").GetString()!;
            backend = Backend.Parse(s.GetProperty("backend").GetString()!);
            settings = new ConformanceSettings(s.GetProperty("rtol").GetDouble(), s.GetProperty("atol").GetDouble(),
                s.TryGetProperty("threads", out JsonElement t) && t.ValueKind == JsonValueKind.Number ? t.GetInt32() : null);
            BackendAvailability availability = backend.CheckAvailability();
            if (!availability.IsAvailable)
            {
                throw new LightNetException(ErrorCode.BackendUnavailable, $"Backend '{backend.Name}' cannot run here: {availability.Reason}");
            }
        }
        catch (Exception e) when (e is LightNetException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            string code = e is LightNetException l ? l.Code.ToString() : nameof(ErrorCode.InvalidArgument);
            output.WriteLine(ErrorPrefix + code + " " + ConformanceCase.FirstLine(e.Message));
            output.Flush();
            return 1;
        }

        output.WriteLine(ReadyLine);
        output.Flush();
        foreach (string c in lines.Skip(1))
        {
            output.WriteLine(StartPrefix + c);
            output.Flush();
            ConformanceCaseResult r = ConformanceCase.Run(root, c, backend, settings);
            output.WriteLine(ResultPrefix + ConformanceJson.ResultLine(r));
            output.Flush();
        }

        return 0;
    }

    private static List<ConformanceCaseResult> RunIsolated(string root, List<string> cases, string backend, ConformanceOptions options,
        IProgress<ConformanceCaseResult>? progress, CancellationToken cancellationToken)
    {
        int workers = Math.Min(options.Workers, Math.Max(1, cases.Count));
        if (workers <= 1)
        {
            return Supervise(root, cases, backend, options, progress, cancellationToken);
        }

        // Interleaved shares: neighbouring cases (often the same operator, similar cost) go to different workers.
        var shares = Enumerable.Range(0, workers).Select(w => cases.Where((_, i) => i % workers == w).ToList()).ToArray();
        var outputs = new List<ConformanceCaseResult>[workers];
        Exception? failure = null;
        var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            try
            {
                outputs[w] = Supervise(root, shares[w], backend, options, progress, cancellationToken);
            }
            catch (Exception e)
            {
                // catch-all: kept and rethrown on the calling thread once every supervisor has stopped.
                Interlocked.CompareExchange(ref failure, e, null);
            }
        }) { IsBackground = true, Name = $"conformance supervisor {w}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        var byCase = outputs.SelectMany(o => o).ToDictionary(r => r.Case, StringComparer.Ordinal);
        return cases.Select(c => byCase[c]).ToList();
    }

    private static List<ConformanceCaseResult> Supervise(string root, List<string> cases, string backend, ConformanceOptions options,
        IProgress<ConformanceCaseResult>? progress, CancellationToken cancellationToken)
    {
        var results = new List<ConformanceCaseResult>(cases.Count);
        void Add(ConformanceCaseResult r)
        {
            results.Add(r);
            progress?.Report(r);
        }

        string settings = JsonSerializerSettingsLine(root, backend, options);
        while (results.Count < cases.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int first = results.Count;
            using var worker = new WorkerProcess(new WorkerCommand(options.WorkerCommand!.FileName, options.WorkerCommand.Arguments), Prefix,
                [settings, .. cases.Skip(first)], memoryLimitBytes: null, "conformance worker");
            string? line = worker.Next(options.WorkerStartTimeout, cancellationToken);
            if (line != ReadyLine)
            {
                worker.Kill();
                if (line is not null && line.StartsWith(ErrorPrefix, StringComparison.Ordinal))
                {
                    string rest = line[ErrorPrefix.Length..];
                    int space = rest.IndexOf(' ', StringComparison.Ordinal);
                    ErrorCode code = Enum.TryParse(space > 0 ? rest[..space] : rest, out ErrorCode c) ? c : ErrorCode.InvalidOperation;
                    throw new LightNetException(code, space > 0 ? rest[(space + 1)..] : rest);
                }

                throw new LightNetException(ErrorCode.InvalidOperation,
                    $"The conformance worker for '{backend}' did not start ({(line is null ? worker.ExitDescription() : "no ready line within " + options.WorkerStartTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s")}): "
                    + $"{worker.FileName} {string.Join(' ', worker.Arguments)}");
            }

            // Times are taken when a line arrives (on the reading thread), so a busy supervisor neither lengthens nor shortens a case's time.
            long? startedAt = null;
            double InFlight(long until) => startedAt is long t ? Stopwatch.GetElapsedTime(t, until).TotalSeconds : 0;
            while (results.Count < cases.Count)
            {
                string expected = cases[results.Count];
                TimeSpan wait = startedAt is long since ? options.CaseTimeout - Stopwatch.GetElapsedTime(since) : options.CaseTimeout;
                line = worker.Next(wait, cancellationToken);
                bool late = line is not null && line.StartsWith(ResultPrefix, StringComparison.Ordinal) && InFlight(worker.LastArrival) > options.CaseTimeout.TotalSeconds;
                if (line is null || late)
                {
                    if (worker.TimedOut || late)
                    {
                        worker.Kill();
                        Add(Failed(expected, backend, ConformanceOutcome.Timeout, "Timeout",
                            $"no result within {options.CaseTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; the worker was killed", options.CaseTimeout.TotalSeconds));
                    }
                    else
                    {
                        Add(Failed(expected, backend, ConformanceOutcome.Crashed, "WorkerExited", $"the worker process died: {worker.ExitDescription()}",
                            InFlight(Stopwatch.GetTimestamp())));
                    }

                    break;
                }

                if (line.StartsWith(StartPrefix, StringComparison.Ordinal))
                {
                    startedAt = worker.LastArrival;
                }
                else if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
                {
                    ConformanceCaseResult r;
                    try
                    {
                        using JsonDocument doc = JsonDocument.Parse(line[ResultPrefix.Length..]);
                        r = ConformanceJson.ReadResult(doc.RootElement);
                    }
                    catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
                    {
                        throw new LightNetException(ErrorCode.InvalidOperation, $"The conformance worker wrote a result that cannot be read: {e.Message}", e);
                    }

                    if (r.Case != expected)
                    {
                        throw new LightNetException(ErrorCode.InvalidOperation, $"The conformance worker reported '{r.Case}' where '{expected}' was expected.");
                    }

                    Add(r);
                    startedAt = null;
                }
            }
        }

        return results;
    }

    private static ConformanceCaseResult Failed(string caseName, string backend, ConformanceOutcome outcome, string code, string reason, double seconds)
    {
        IReadOnlyList<string> ops = [];
        return new ConformanceCaseResult(caseName, backend, outcome, ConformanceOperators.GroupKey(caseName, ops), ops, code, reason, null, null, seconds);
    }

    private static string JsonSerializerSettingsLine(string root, string backend, ConformanceOptions options)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("root", root);
            w.WriteString("backend", backend);
            w.WriteNumber("rtol", options.RelativeTolerance);
            w.WriteNumber("atol", options.AbsoluteTolerance);
            if (options.Threads is int t)
            {
                w.WriteNumber("threads", t);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
