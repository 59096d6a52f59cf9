using System.Globalization;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>A titled part of a report: notes (sentences) and an optional table, rendered alike to Markdown and HTML.</summary>
/// <param name="Title">The heading.</param>
/// <param name="Notes">Sentences before the table.</param>
/// <param name="Header">Column names; empty for no table. A name starting with '>' is a right-aligned (numeric) column.</param>
/// <param name="Rows">Table rows, each as long as <paramref name="Header"/>.</param>
public sealed record ReportSection(string Title, IReadOnlyList<string> Notes, IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows);

/// <summary>
/// The parts of a profile report that Markdown and HTML both show, built once: latency, warm-up, cold start, sustained run
/// and load. Numbers use the invariant culture (milliseconds with 3 decimals).
/// </summary>
public static class ProfileSections
{
    /// <summary>The latency table.</summary>
    internal static ReportSection? Latency(ProfileReport r)
    {
        if (r.LatencyMs is not { } l)
        {
            return null;
        }

        return new ReportSection("Latency", [], ["Statistic", ">ms", "95% CI (ms)"],
        [
            ["Mean", Ms(l.Mean), Interval(l.MeanCi)],
            ["Median", Ms(l.Median), Interval(l.MedianCi)],
            ["P90", Ms(l.P90), ""],
            ["P95", Ms(l.P95), ""],
            ["P99", Ms(l.P99), ""],
            ["Min", Ms(l.Min), ""],
            ["Max", Ms(l.Max), ""],
            ["Std", Ms(l.StandardDeviation), ""],
        ]);
    }

    /// <summary>The warm-up, and the level shift in the timed runs if there was one.</summary>
    internal static ReportSection? Warmup(ProfileReport r)
    {
        if (r.Warmup is not { } w)
        {
            return null;
        }

        var notes = new List<string>
        {
            $"{Count(w.Runs)} warm-up run{(w.Runs == 1 ? "" : "s")} in {Fixed(w.Seconds, "F2")} s; "
                + (w.Steady ? "steady state reached (the last windows of runs stopped getting faster)." : "no steady state reached: the timed runs may include the end of the warm-up."),
        };
        if (r.Stability?.ChangePoint is { } cp)
        {
            notes.Add($"Level shift in the timed runs at run {Count(cp.Index + 1)}: median {Ms(cp.MedianBeforeMs)} → {Ms(cp.MedianAfterMs)} ms "
                + (cp.Ratio > 1 ? $"({Fixed((cp.Ratio - 1) * 100, "F0")}% slower: possible throttling or a busy machine)." : $"({Fixed((1 - cp.Ratio) * 100, "F0")}% faster: a late warm-up or noise, not throttling)."));
        }

        return new ReportSection("Warm-up", notes, [], []);
    }

    /// <summary>The cold starts, one row per stage.</summary>
    internal static ReportSection? ColdStart(ProfileReport r)
    {
        if (r.ColdStart is not { } c)
        {
            return null;
        }

        static string[] Row(string stage, StageDistribution d) => [stage, Ms(d.Median), Ms(d.P90), Ms(d.Min), Ms(d.Max)];
        return new ReportSection("Cold start", [$"{Count(c.Processes)} fresh process{(c.Processes == 1 ? "" : "es")}, each timed from its start."],
            ["Stage", ">Median ms", ">P90 ms", ">Min ms", ">Max ms"],
            [
                Row("process start → model loaded", c.LoadMs),
                Row("session created", c.CreateSessionMs),
                Row("first inference", c.FirstRunMs),
                Row("second inference", c.SecondRunMs),
                Row("total", c.TotalMs),
            ]);
    }

    /// <summary>The sustained run: throttling, unavailable sensors and the timeline table.</summary>
    internal static ReportSection? Sustained(ProfileReport r)
    {
        if (r.Sustained is not { } s)
        {
            return null;
        }

        var notes = new List<string>
        {
            $"{Count(s.Runs)} runs back to back over {Fixed(s.Seconds, "F1")} s: median {Ms(s.LatencyMs.Median)} ms, p90 {Ms(s.LatencyMs.P90)} ms.",
            s.Throttling.Detected
                ? $"Throttling detected: from {Fixed(s.Throttling.StartSeconds ?? 0, "F1")} s on the runs were {Fixed(((s.Throttling.Slowdown ?? 1) - 1) * 100, "F0")}% slower (change point in the run times)"
                    + (s.Throttling.CpuMHzRatio is double clock
                        ? clock < 0.95 ? $"; the CPU clock fell by {Fixed((1 - clock) * 100, "F0")}%: the CPU itself slowed down."
                            : "; the CPU clock did not fall: more likely a busy machine than a slower CPU."
                        : ".")
                : s.Throttling.ChangePoint is { } cp
                    ? $"No throttling: the only level shift was a speed-up ({Ms(cp.MedianBeforeMs)} → {Ms(cp.MedianAfterMs)} ms)."
                    : "No throttling: the run times kept one level.",
        };
        notes.AddRange(s.UnavailableSensors.Select(u => "Not available here: " + u + "."));
        bool mhz = s.Timeline.Any(p => p.CpuMHz is not null), temp = s.Timeline.Any(p => p.TemperatureC is not null), watts = s.Timeline.Any(p => p.Watts is not null);
        var header = new List<string> { ">t (s)", ">Runs", ">Median ms", ">P90 ms" };
        if (mhz) header.Add(">CPU MHz");
        if (temp) header.Add(">°C");
        if (watts) header.Add(">W");
        var rows = s.Timeline.Select(p =>
        {
            var row = new List<string> { Fixed(p.TSeconds, "F0"), Count(p.Runs), Ms(p.MedianMs), Ms(p.P90Ms) };
            if (mhz) row.Add(p.CpuMHz is double f ? Fixed(f, "F0") : "");
            if (temp) row.Add(p.TemperatureC is double c ? Fixed(c, "F1") : "");
            if (watts) row.Add(p.Watts is double w ? Fixed(w, "F1") : "");
            return row.ToArray();
        }).ToArray();
        return new ReportSection("Sustained run", notes, header, rows);
    }

    /// <summary>The load steps and the knee.</summary>
    internal static ReportSection? Load(ProfileReport r)
    {
        if (r.Load is not { } l)
        {
            return null;
        }

        string knee = l.Knee is { } k
            ? $"Knee: {(k.RateRps is double rate ? $"{Fixed(rate, "F1")} requests/s" : $"{Count(k.Concurrency)} in flight")} ({Fixed(k.ThroughputPerSecond, "F1")}/s, p90 {Ms(k.LatencyMs.P90)} ms); heavier loads add latency without matching throughput."
            : "No knee within the loads measured.";
        string mode = l.RateRps is double rps
            ? $"Open loop: {Fixed(rps, "F1")} requests/s scheduled, served by {Count(l.Concurrency)} thread{(l.Concurrency == 1 ? "" : "s")} on one session; latency counts from the scheduled arrival."
            : $"Closed loop: {Count(l.Concurrency)} request{(l.Concurrency == 1 ? "" : "s")} in flight on one session.";
        return new ReportSection("Throughput under load",
            [mode, $"At that load: {Fixed(l.ThroughputPerSecond, "F1")} inferences/s, median {Ms(l.LatencyMs.Median)} ms, p90 {Ms(l.LatencyMs.P90)} ms, p99 {Ms(l.LatencyMs.P99)} ms.", knee],
            [">In flight", ">Rate/s", ">Throughput/s", ">Median ms", ">P90 ms", ">P99 ms"],
            l.Steps.Select(s => new[]
            {
                Count(s.Concurrency), s.RateRps is double sr ? Fixed(sr, "F1") : "", Fixed(s.ThroughputPerSecond, "F1"),
                Ms(s.LatencyMs.Median), Ms(s.LatencyMs.P90), Ms(s.LatencyMs.P99),
            }).ToArray());
    }

    /// <summary>The sections after the main figures, in order: warm-up, and when measured cold start, sustained run and load.</summary>
    /// <param name="r">The report.</param>
    /// <returns>The sections present in the report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="r"/> is null.</exception>
    public static IEnumerable<ReportSection> Extras(ProfileReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new[] { Warmup(r), ColdStart(r), Sustained(r), Load(r) }.OfType<ReportSection>();
    }

    /// <summary>Every warning of the report: its own, then those of its sustained and load parts, prefixed with the part's name.</summary>
    /// <param name="r">The report.</param>
    /// <returns>The warnings, in that order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="r"/> is null.</exception>
    public static IReadOnlyList<string> AllWarnings(ProfileReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return [.. r.Warnings ?? [], .. (r.Sustained?.Warnings ?? []).Select(w => "Sustained run: " + w), .. (r.Load?.Warnings ?? []).Select(w => "Load: " + w)];
    }

    internal static string Ms(double value) => ReportMarkdown.Fixed(value, "F3");

    internal static string Interval(ConfidenceInterval ci) => $"[{Ms(ci.Lower)}, {Ms(ci.Upper)}]";

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Fixed(double value, string format) => ReportMarkdown.Fixed(value, format);
}
