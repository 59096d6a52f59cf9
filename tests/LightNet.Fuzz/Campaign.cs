using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace LightNet.Fuzz;

/// <summary>How one input ended.</summary>
internal enum OutcomeKind
{
    /// <summary>The target accepted the input.</summary>
    Success,

    /// <summary>Refused with a <see cref="LightNetException"/> carrying a code.</summary>
    CleanError,

    /// <summary>Any other exception escaped: a bug.</summary>
    Crash,

    /// <summary>No answer within the per-input time limit.</summary>
    Hang,

    /// <summary>An <see cref="OutOfMemoryException"/> or more than the per-input allocation limit.</summary>
    MemoryBlowUp,
}

/// <summary>The outcome of one input: its kind, the error code or exception type, the message, time and bytes allocated.</summary>
internal sealed record Outcome(OutcomeKind Kind, string Detail, string Message, TimeSpan Elapsed, long AllocatedBytes);

/// <summary>Per-target counts of a campaign or a replay.</summary>
internal sealed class CampaignStats(string target)
{
    public string Target { get; } = target;

    public int Tried { get; set; }

    public int Successes { get; set; }

    public int CleanErrors { get; set; }

    public int Crashes { get; set; }

    public int Hangs { get; set; }

    public int MemoryBlowUps { get; set; }

    public TimeSpan Elapsed { get; set; }

    public SortedDictionary<string, int> ErrorCodes { get; } = new(StringComparer.Ordinal);

    public List<(Outcome Outcome, byte[] Input)> Findings { get; } = [];

    public bool Clean => Crashes == 0 && Hangs == 0 && MemoryBlowUps == 0;

    public void Add(Outcome outcome, byte[] input)
    {
        Tried++;
        switch (outcome.Kind)
        {
            case OutcomeKind.Success:
                Successes++;
                break;
            case OutcomeKind.CleanError:
                CleanErrors++;
                ErrorCodes[outcome.Detail] = ErrorCodes.GetValueOrDefault(outcome.Detail) + 1;
                break;
            case OutcomeKind.Crash:
                Crashes++;
                Findings.Add((outcome, input));
                break;
            case OutcomeKind.Hang:
                Hangs++;
                Findings.Add((outcome, input));
                break;
            default:
                MemoryBlowUps++;
                Findings.Add((outcome, input));
                break;
        }
    }

    public static string TableHeader =>
        "| Target | Inputs tried | Clean errors | Successes | Crashes | Hangs | Memory blow-ups | Time (s) |\n|---|---:|---:|---:|---:|---:|---:|---:|";

    public string TableRow =>
        $"| {Target} | {Tried} | {CleanErrors} | {Successes} | {Crashes} | {Hangs} | {MemoryBlowUps} | {Elapsed.TotalSeconds:F0} |";
}

/// <summary>
/// Runs inputs through a target on a watchdog thread: each input gets a time limit (past it: a hang, and the stuck
/// thread is abandoned for a fresh one) and an allocation limit (counted on the whole process while it runs; an
/// <see cref="OutOfMemoryException"/> under the fuzz process's 3 GiB GC heap limit counts too). A seeded campaign
/// mutates corpus inputs (stacking up to three mutations) and keeps mutants that succeed or fail in a new way
/// (a new error message shape), so later rounds start from deeper inputs; it is deterministic for a seed and input count.
/// </summary>
internal sealed class Campaign(FuzzTarget target, TimeSpan timeout, long maxAllocatedBytes)
{
    private const int MaxKept = 2000;

    // Mutants with huge counts reach megabytes; keeping them as parents filled the fuzz process's heap (a 1 MB model that
    // loads in 0.9 s alone timed out at 20 s in a campaign holding hundreds of them), so only small ones are kept.
    private const int MaxKeptBytes = 256 * 1024;
    private Runner _runner = new();

    /// <summary>Where each finding is written the moment it is found (a hang's stuck thread may keep a core busy until the process ends); null for nowhere.</summary>
    public string? FindingsFolder { get; init; }

    /// <summary>Runs one input under the watchdog.</summary>
    public Outcome RunOne(byte[] input)
    {
        Outcome? outcome = _runner.Run(() => Execute(input), timeout);
        if (outcome is null)
        {
            _runner = new Runner(); // the stuck thread keeps running in the background; later inputs get a new one
            outcome = new Outcome(OutcomeKind.Hang, "Timeout", $"no answer within {timeout.TotalSeconds} s", timeout, 0);
        }

        if (FindingsFolder is not null && outcome.Kind is not (OutcomeKind.Success or OutcomeKind.CleanError))
        {
            Save(outcome, input, Path.Combine(FindingsFolder, target.Name));
        }

        return outcome;
    }

    private Outcome Execute(byte[] input)
    {
        long before = GC.GetTotalAllocatedBytes(precise: false);
        var clock = Stopwatch.StartNew();
        OutcomeKind kind;
        string detail, message;
        try
        {
            target.Execute(input);
            (kind, detail, message) = (OutcomeKind.Success, "", "");
        }
        catch (LightNetException e)
        {
            (kind, detail, message) = (OutcomeKind.CleanError, e.Code.ToString(), e.Message);
        }
        catch (OutOfMemoryException e)
        {
            (kind, detail, message) = (OutcomeKind.MemoryBlowUp, e.GetType().Name, e.ToString());
        }
        catch (Exception e) when (e is not ThreadInterruptedException)
        {
            (kind, detail, message) = (OutcomeKind.Crash, e.GetType().Name, e.ToString());
        }

        clock.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
        if (kind != OutcomeKind.Crash && allocated > maxAllocatedBytes)
        {
            (kind, detail, message) = (OutcomeKind.MemoryBlowUp, "Allocated", $"allocated {allocated} bytes (limit {maxAllocatedBytes}); outcome {detail} {message}");
        }

        return new Outcome(kind, detail, message, clock.Elapsed, allocated);
    }

    /// <summary>Replays every file of a corpus folder (seeds and regression inputs).</summary>
    public CampaignStats Replay(IEnumerable<(string Name, byte[] Bytes)> inputs, Action<string, Outcome>? each = null)
    {
        var stats = new CampaignStats(target.Name);
        var clock = Stopwatch.StartNew();
        foreach ((string name, byte[] bytes) in inputs)
        {
            Outcome outcome = RunOne(bytes);
            stats.Add(outcome, bytes);
            each?.Invoke(name, outcome);
        }

        stats.Elapsed = clock.Elapsed;
        return stats;
    }

    /// <summary>Mutates and runs <paramref name="count"/> inputs (or until <paramref name="budget"/> passes), seeded.</summary>
    public CampaignStats Fuzz(IReadOnlyList<byte[]> corpus, int seed, int count, TimeSpan budget, Action<CampaignStats>? progress = null)
    {
        if (corpus.Count == 0)
        {
            throw new ArgumentException($"The corpus of '{target.Name}' is empty.");
        }

        var random = new Random(seed);
        var pool = new List<byte[]>(corpus);
        var shapes = new HashSet<string>(StringComparer.Ordinal);
        var stats = new CampaignStats(target.Name);
        var clock = Stopwatch.StartNew();
        while (stats.Tried < count && clock.Elapsed < budget && stats.Hangs < 3)
        {
            byte[] input = pool[random.Next(pool.Count)];
            int stack = random.Next(4) == 0 ? 2 : 1;
            for (int k = 0; k < stack; k++)
            {
                input = target.Mutate(input, random);
            }

            Outcome outcome = RunOne(input);
            stats.Add(outcome, input);
            if (pool.Count < corpus.Count + MaxKept && input.Length <= MaxKeptBytes && (outcome.Kind == OutcomeKind.Success ? random.Next(4) == 0 : shapes.Add(Shape(outcome))))
            {
                pool.Add(input);
            }

            if (stats.Tried % 1000 == 0)
            {
                progress?.Invoke(stats);
            }
        }

        stats.Elapsed = clock.Elapsed;
        return stats;
    }

    /// <summary>An error's message without its numbers and quoted names: two inputs failing the same check share it.</summary>
    private static string Shape(Outcome outcome) =>
        outcome.Detail + ":" + Regex.Replace(Regex.Replace(outcome.Message.Split('\n')[0], "'[^']*'", "''"), "[0-9]+", "#");

    /// <summary>Writes a finding as a file named by its kind and hash, with the message beside it; returns its path.</summary>
    public static string Save(Outcome outcome, byte[] input, string folder)
    {
        Directory.CreateDirectory(folder);
        string hash = Convert.ToHexStringLower(SHA256.HashData(input))[..12];
        string path = Path.Combine(folder, $"{outcome.Kind.ToString().ToLowerInvariant()}-{outcome.Detail}-{hash}.bin");
        File.WriteAllBytes(path, input);
        File.WriteAllText(path + ".txt", outcome.Message + "\n");
        return path;
    }

    /// <summary>A background thread running one work item at a time, so a stuck item can be abandoned.</summary>
    private sealed class Runner
    {
        private readonly BlockingCollection<(Func<Outcome> Work, TaskCompletionSource<Outcome> Done)> _queue = new();

        public Runner()
        {
            // A large stack: deep recursion in a parser is a finding to report, not a process killed by a stack overflow here first.
            new Thread(Loop, 64 * 1024 * 1024) { IsBackground = true, Name = "fuzz runner" }.Start();
        }

        public Outcome? Run(Func<Outcome> work, TimeSpan timeout)
        {
            var done = new TaskCompletionSource<Outcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queue.Add((work, done));
            return done.Task.Wait(timeout) ? done.Task.Result : null;
        }

        private void Loop()
        {
            foreach ((Func<Outcome> work, TaskCompletionSource<Outcome> done) in _queue.GetConsumingEnumerable())
            {
                done.SetResult(work());
            }
        }
    }
}
