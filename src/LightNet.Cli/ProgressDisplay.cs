using LightNet.Profiling;
using Spectre.Console;

namespace LightNet.Cli;

/// <summary>
/// Runs a measurement on the thread pool and shows its progress once it has run for a second: a Spectre progress bar
/// (phase and runs) on an interactive terminal, else one plain line per phase on standard error.
/// </summary>
internal static class ProgressDisplay
{
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Runs <paramref name="work"/>, showing progress, and returns its result (or rethrows its exception).</summary>
    /// <param name="context">Where to show progress.</param>
    /// <param name="models">The models measured, in order (a comparison reports them one after the other).</param>
    /// <param name="backendLabel">What they run on, for the description.</param>
    /// <param name="options">The measurement options, to tell how far along a phase is.</param>
    /// <param name="work">The measurement, given the progress sink.</param>
    public static T Run<T>(CliContext context, IReadOnlyList<string> models, string backendLabel, ProfileOptions options,
        Func<IProgress<ProfileProgress>, T> work)
    {
        var sink = new ProgressSink();
        Task<T> task = Task.Run(() => work(sink), context.CancellationToken);
        if (!WaitQuietly(task, QuietPeriod))
        {
            if (context.Interactive)
            {
                ShowBar(context, task, sink, models, backendLabel, options);
            }
            else
            {
                ShowLines(context, task, sink, models, backendLabel);
            }
        }

        return task.GetAwaiter().GetResult();
    }

    private static void ShowBar(CliContext context, Task task, ProgressSink sink, IReadOnlyList<string> models, string backendLabel,
        ProfileOptions options)
    {
        context.Console.Progress()
            .AutoClear(true)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(progress =>
            {
                ProgressTask bar = progress.AddTask(Markup.Escape(Describe(sink.Snapshot(), models, backendLabel, withCounts: true)), maxValue: 1000);
                do
                {
                    (ProfileProgress last, int model) = sink.Snapshot();
                    bar.Description = Markup.Escape(Describe((last, model), models, backendLabel, withCounts: true));
                    bar.Value = Math.Round(1000 * Fraction(last, options));
                    progress.Refresh();
                }
                while (!WaitQuietly(task, TimeSpan.FromMilliseconds(100)));

                bar.Value = bar.MaxValue;
            });
    }

    /// <summary>
    /// How far along a phase is: a loop ends once it has both its runs and its minimum time, or at its maximum time, as
    /// the profiler's loops do.
    /// </summary>
    internal static double Fraction(ProfileProgress p, ProfileOptions options)
    {
        static double Part(double done, double needed) => needed <= 0 ? 1 : Math.Clamp(done / needed, 0, 1);
        double seconds = p.Elapsed.TotalSeconds;
        return p.Phase switch
        {
            ProfilePhase.WarmingUp => Math.Min(Part(p.RunsDone, options.WarmupRuns), Part(seconds, options.WarmupSeconds)),
            ProfilePhase.Measuring => Math.Max(Math.Min(Part(p.RunsDone, options.Runs), Part(seconds, options.MinSeconds)), Part(seconds, options.MaxSeconds)),
            ProfilePhase.ProfilingOperators => Part(p.RunsDone, p.RunsPlanned),
            ProfilePhase.Completed => 1,
            _ => 0,
        };
    }

    private static void ShowLines(CliContext context, Task task, ProgressSink sink, IReadOnlyList<string> models, string backendLabel)
    {
        string? shown = null;
        do
        {
            string line = Describe(sink.Snapshot(), models, backendLabel, withCounts: false);
            if (line != shown)
            {
                context.Stderr.WriteLine(line);
                shown = line;
            }
        }
        while (!WaitQuietly(task, TimeSpan.FromMilliseconds(250)));
    }

    private static string Describe((ProfileProgress Last, int Model) state, IReadOnlyList<string> models, string backendLabel, bool withCounts)
    {
        string model = models.Count == 0 ? "model"
            : models.Count == 1 ? models[0]
            : $"{models[Math.Min(state.Model, models.Count - 1)]} ({Math.Min(state.Model, models.Count - 1) + 1}/{models.Count})";
        ProfileProgress p = state.Last;
        string phase = p.Phase switch
        {
            ProfilePhase.Loading => "loading",
            ProfilePhase.WarmingUp => "warming up",
            ProfilePhase.Measuring => "measuring",
            ProfilePhase.ProfilingOperators => "profiling operators",
            _ => "finishing",
        };
        string counts = withCounts && p.Phase is ProfilePhase.WarmingUp or ProfilePhase.Measuring or ProfilePhase.ProfilingOperators
            ? $" ({p.RunsDone} {(p.RunsDone == 1 ? "run" : "runs")})"
            : "";
        return $"{model} on {backendLabel}: {phase}{counts}…";
    }

    /// <summary>Waits for the task; true once it has finished, whether it succeeded or not.</summary>
    private static bool WaitQuietly(Task task, TimeSpan timeout)
    {
        try
        {
            return task.Wait(timeout);
        }
        catch (AggregateException)
        {
            return true;
        }
    }

    /// <summary>Keeps the last report, and counts models: a comparison goes back to warming up when it starts the next model.</summary>
    private sealed class ProgressSink : IProgress<ProfileProgress>
    {
        private readonly Lock _lock = new();
        private ProfileProgress _last = new(ProfilePhase.Loading, 0, 1, TimeSpan.Zero);
        private int _model;
        private bool _measured;

        public void Report(ProfileProgress value)
        {
            lock (_lock)
            {
                if (value.Phase == ProfilePhase.WarmingUp && _measured)
                {
                    _model++;
                    _measured = false;
                }

                if (value.Phase == ProfilePhase.Measuring)
                {
                    _measured = true;
                }

                _last = value;
            }
        }

        public (ProfileProgress Last, int Model) Snapshot()
        {
            lock (_lock)
            {
                return (_last, _model);
            }
        }
    }
}
