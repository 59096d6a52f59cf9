using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LightNet.Backends;

namespace LightNet.Profiling;

/// <summary>
/// How <see cref="Profiler.MeasureColdStart"/> starts its fresh processes: a program that runs one cold start and prints
/// <see cref="ColdStart.ProbeLinePrefix"/> followed by the JSON that <see cref="Profiler.RunColdStartProbe"/> writes (the
/// <c>lightnet</c> CLI does this in its hidden <c>cold-start-probe</c> command).
/// </summary>
public sealed record ColdStartOptions
{
    /// <summary>The program to start (for example the lightnet executable, or <c>dotnet</c> with the CLI's dll as the first argument).</summary>
    public required string FileName { get; init; }

    /// <summary>Its arguments.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Fresh processes to start, one after the other. Default 5.</summary>
    public int Processes { get; init; } = 5;

    /// <summary>How long one process may take before it is killed and the measurement fails. Default 2 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>Cold starts in fresh processes: each stage as a distribution over the processes.</summary>
public sealed record ColdStartSummary
{
    /// <summary>Processes measured.</summary>
    public int Processes { get; init; }

    /// <summary>From process start (just before the OS was asked to start it) to the model loaded: runtime start-up, JIT, reading the model.</summary>
    public required StageDistribution LoadMs { get; init; }

    /// <summary>Creating the backend session.</summary>
    public required StageDistribution CreateSessionMs { get; init; }

    /// <summary>The first inference.</summary>
    public required StageDistribution FirstRunMs { get; init; }

    /// <summary>The second inference.</summary>
    public required StageDistribution SecondRunMs { get; init; }

    /// <summary>From process start to the second inference's end.</summary>
    public required StageDistribution TotalMs { get; init; }
}

/// <summary>One stage's milliseconds over several processes.</summary>
/// <param name="Median">Median.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="Min">Fastest.</param>
/// <param name="Max">Slowest.</param>
/// <param name="Mean">Mean.</param>
public sealed record StageDistribution(double Median, double P90, double Min, double Max, double Mean)
{
    /// <summary>The distribution of <paramref name="milliseconds"/>.</summary>
    /// <param name="milliseconds">At least one value.</param>
    public static StageDistribution From(IReadOnlyList<double> milliseconds)
    {
        LatencyStatistics s = LatencyStatistics.FromSamples(milliseconds.ToArray());
        return new StageDistribution(s.Median, s.P90, s.Min, s.Max, s.Mean);
    }
}

/// <summary>The two sides of a cold-start measurement: the parent that starts processes, and the probe each of them runs.</summary>
internal static class ColdStart
{
    /// <summary>The probe's result line starts with this; anything else the child prints is ignored.</summary>
    public const string ProbeLinePrefix = "lightnet-cold-start ";

    public static ColdStartSummary Measure(ColdStartOptions options, IProgress<ProfileProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.FileName))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "A cold-start measurement needs the program to start.");
        }

        if (options.Processes is < 1 or > 1000)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Cold-start processes must be between 1 and 1000, not {options.Processes}.");
        }

        var load = new List<double>();
        var create = new List<double>();
        var first = new List<double>();
        var second = new List<double>();
        var total = new List<double>();
        for (int p = 0; p < options.Processes; p++)
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report(new ProfileProgress(ProfilePhase.Loading, p, options.Processes, TimeSpan.Zero));
            Probe probe = RunOne(options, ct);
            load.Add(probe.LoadMs);
            create.Add(probe.CreateSessionMs);
            first.Add(probe.FirstRunMs);
            second.Add(probe.SecondRunMs);
            total.Add(probe.LoadMs + probe.CreateSessionMs + probe.FirstRunMs + probe.SecondRunMs);
        }

        return new ColdStartSummary
        {
            Processes = options.Processes,
            LoadMs = StageDistribution.From(load),
            CreateSessionMs = StageDistribution.From(create),
            FirstRunMs = StageDistribution.From(first),
            SecondRunMs = StageDistribution.From(second),
            TotalMs = StageDistribution.From(total),
        };
    }

    private sealed record Probe(double LoadMs, double CreateSessionMs, double FirstRunMs, double SecondRunMs);

    private static Probe RunOne(ColdStartOptions options, CancellationToken ct)
    {
        var info = new ProcessStartInfo(options.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in options.Arguments)
        {
            info.ArgumentList.Add(a);
        }

        long startedUtcTicks = DateTime.UtcNow.Ticks;
        using Process process = StartProcess(info, options.FileName);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(ct);
        Task<string> stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            if (!process.WaitForExitAsync(ct).Wait(options.Timeout, ct))
            {
                throw new LightNetException(ErrorCode.InferenceFailed,
                    $"The cold-start process '{options.FileName}' did not finish within {options.Timeout.TotalSeconds:0} s.");
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string output = stdout.Result;
        string? line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(ProbeLinePrefix, StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            string why = stderr.Result.Trim();
            throw new LightNetException(ErrorCode.InferenceFailed,
                $"The cold-start process '{options.FileName}' exited with code {process.ExitCode} without a result line"
                + (why.Length > 0 ? $": {why.Split('\n')[^1]}" : "."));
        }

        return Parse(line[ProbeLinePrefix.Length..], startedUtcTicks);
    }

    private static Process StartProcess(ProcessStartInfo info, string fileName)
    {
        try
        {
            return Process.Start(info) ?? throw new LightNetException(ErrorCode.InferenceFailed, $"The cold-start process '{fileName}' did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Cannot start the cold-start process '{fileName}': {e.Message}", e);
        }
    }

    private static Probe Parse(string json, long startedUtcTicks)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            long loaded = root.GetProperty("loadedUtcTicks").GetInt64();
            return new Probe(
                Math.Max(0, (loaded - startedUtcTicks) / (double)TimeSpan.TicksPerMillisecond),
                root.GetProperty("createSessionMs").GetDouble(),
                root.GetProperty("firstRunMs").GetDouble(),
                root.GetProperty("secondRunMs").GetDouble());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new LightNetException(ErrorCode.InferenceFailed, $"The cold-start process printed a result line that is not a probe result: {e.Message}", e);
        }
    }

    /// <summary>The child's side: loads, creates a session, runs twice and writes the result line.</summary>
    public static void RunProbe(Func<Model> load, Backend backend, ProfileOptions? options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(output);
        Model model = load();
        long loadedUtcTicks = DateTime.UtcNow.Ticks;
        var warnings = new List<string>();
        MeasurementSetup setup = MeasurementSetup.Create(model, backend, options, warnings);
        long t0 = Stopwatch.GetTimestamp();
        using IInferenceSession session = backend.CreateSession(model, setup.SessionOptions);
        long t1 = Stopwatch.GetTimestamp();
        session.Run(setup.Inputs);
        long t2 = Stopwatch.GetTimestamp();
        session.Run(setup.Inputs);
        long t3 = Stopwatch.GetTimestamp();
        string Ms(long a, long b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds.ToString("R", CultureInfo.InvariantCulture);
        output.WriteLine(ProbeLinePrefix + "{\"loadedUtcTicks\":" + loadedUtcTicks.ToString(CultureInfo.InvariantCulture)
            + ",\"createSessionMs\":" + Ms(t0, t1) + ",\"firstRunMs\":" + Ms(t1, t2) + ",\"secondRunMs\":" + Ms(t2, t3) + "}");
        output.Flush();
    }
}
