using System.Globalization;
using SharpFuzz;

namespace LightNet.Fuzz;

/// <summary>
/// The fuzzing command line (see tests/fuzz/README.md):
/// <c>seeds</c> writes each target's seed inputs to the corpus; <c>replay</c> runs every corpus input;
/// <c>fuzz TARGET|all --seed S --inputs N</c> runs a seeded in-process campaign and prints the table of outcomes;
/// <c>run TARGET FILE...</c> runs given inputs (to reproduce a finding); <c>ci</c> replays the corpus and runs every target for a fixed seeded budget (what .ci/run does);
/// <c>afl TARGET</c> is the entry point AFL++ starts through SharpFuzz for long coverage-guided campaigns.
/// Exit code 0 when every input ended in success or a clean error, 1 when any crashed, hung or blew up, 2 for bad arguments.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: LightNet.Fuzz seeds|replay|fuzz TARGET|all|run TARGET FILE...|ci|afl TARGET [--corpus DIR] [--seed N] [--inputs N] [--seconds N] [--timeout S] [--findings DIR]");
            return 2;
        }

        try
        {
            var options = Options.Parse(args.Skip(1).ToArray());
            return args[0] switch
            {
                "seeds" => WriteSeeds(options),
                "replay" => Report([.. Targets(options).Select(t => Replay(t, options))]),
                "fuzz" => Report([.. Targets(options).Select(t => Fuzz(t, options))], options.Findings),
                "ci" => Report([.. Targets(options).Select(t => Replay(t, options)), .. Targets(options).Select(t => Fuzz(t, options))], options.Findings),
                "run" => Report([Renamed(new Campaign(FuzzTarget.Get(options.Positional[0]), options.Timeout, options.MaxAllocatedBytes)
                    .Replay(options.Positional.Skip(1).Select(f => (f, File.ReadAllBytes(f))), (name, o) => Console.WriteLine($"{name}: {o.Kind} {o.Detail} {o.Elapsed.TotalMilliseconds:F0} ms {o.AllocatedBytes / 1048576.0:F1} MiB: {Short(o.Message)}")),
                    options.Positional[0])]),
                "afl" => Afl(FuzzTarget.Get(options.Positional.Single())),
                _ => throw new ArgumentException($"Unknown command '{args[0]}'."),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    /// <summary>The first line of a message, at most 300 characters.</summary>
    internal static string Short(string message)
    {
        string line = message.Split('\n')[0];
        return line.Length <= 300 ? line : line[..300] + "…";
    }

    private static IEnumerable<FuzzTarget> Targets(Options options) =>
        options.Positional.Count == 0 || options.Positional.Contains("all") ? FuzzTarget.All : options.Positional.Select(FuzzTarget.Get);

    private static int WriteSeeds(Options options)
    {
        foreach (FuzzTarget target in FuzzTarget.All)
        {
            string folder = Path.Combine(options.Corpus, target.Name);
            Directory.CreateDirectory(folder);
            foreach ((string name, byte[] bytes) in target.Seeds())
            {
                File.WriteAllBytes(Path.Combine(folder, "seed-" + name), bytes);
            }
        }

        Console.WriteLine($"Seeds written under {options.Corpus}.");
        return 0;
    }

    /// <summary>The corpus of a target: every file in its folder but the .txt notes, in name order.</summary>
    internal static IReadOnlyList<(string Name, byte[] Bytes)> Corpus(string corpusRoot, FuzzTarget target)
    {
        string folder = Path.Combine(corpusRoot, target.Name);
        return Directory.Exists(folder)
            ? Directory.GetFiles(folder).Where(f => !f.EndsWith(".txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                .Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))).ToList()
            : [];
    }

    private static CampaignStats Replay(FuzzTarget target, Options options)
    {
        var campaign = new Campaign(target, options.Timeout, options.MaxAllocatedBytes) { FindingsFolder = options.Findings };
        CampaignStats stats = campaign.Replay(Corpus(options.Corpus, target), (name, outcome) =>
        {
            if (outcome.Kind is not (OutcomeKind.Success or OutcomeKind.CleanError))
            {
                Console.WriteLine($"  {target.Name}/{name}: {outcome.Kind} {outcome.Detail}: {Short(outcome.Message)}");
            }
        });
        return Renamed(stats, target.Name + " (corpus replay)");
    }

    private static CampaignStats Fuzz(FuzzTarget target, Options options)
    {
        var campaign = new Campaign(target, options.Timeout, options.MaxAllocatedBytes) { FindingsFolder = options.Findings };
        var corpus = Corpus(options.Corpus, target).Select(c => c.Bytes).ToList();
        if (corpus.Count == 0)
        {
            corpus = [.. target.Seeds().Select(s => s.Bytes)];
        }

        CampaignStats stats = campaign.Fuzz(corpus, options.Seed, options.Inputs, options.Budget,
            s => Console.Error.WriteLine($"  {target.Name}: {s.Tried} inputs, {s.Crashes} crashes, {s.Hangs} hangs, {s.MemoryBlowUps} blow-ups"));
        return stats;
    }

    private static CampaignStats Renamed(CampaignStats stats, string name)
    {
        var renamed = new CampaignStats(name)
        {
            Tried = stats.Tried, Successes = stats.Successes, CleanErrors = stats.CleanErrors, Crashes = stats.Crashes,
            Hangs = stats.Hangs, MemoryBlowUps = stats.MemoryBlowUps, Elapsed = stats.Elapsed,
        };
        renamed.Findings.AddRange(stats.Findings);
        return renamed;
    }

    private static int Report(IReadOnlyList<CampaignStats> all, string? findings = null)
    {
        Console.WriteLine(CampaignStats.TableHeader);
        foreach (CampaignStats s in all)
        {
            Console.WriteLine(s.TableRow);
        }

        foreach (CampaignStats s in all.Where(s => s.ErrorCodes.Count > 0))
        {
            Console.WriteLine($"{s.Target} clean errors by code: {string.Join(", ", s.ErrorCodes.Select(p => $"{p.Key} {p.Value}"))}");
        }

        foreach (CampaignStats s in all.Where(s => !s.Clean))
        {
            foreach ((Outcome o, byte[] _) in s.Findings.Take(20))
            {
                Console.WriteLine($"FINDING {s.Target}: {o.Kind} {o.Detail}: {Short(o.Message)}");
            }
        }

        if (findings is not null && all.Any(s => !s.Clean))
        {
            Console.WriteLine($"Findings written under {findings}.");
        }

        return all.All(s => s.Clean) ? 0 : 1;
    }

    /// <summary>AFL++'s entry point: one input per fork from standard input; a refused input is a normal exit, anything else a crash AFL records.</summary>
    private static int Afl(FuzzTarget target)
    {
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            try
            {
                target.Execute(buffer.ToArray());
            }
            catch (LightNetException)
            {
                // A clean refusal.
            }
        });
        return 0;
    }

    private sealed record Options(IReadOnlyList<string> Positional, string Corpus, int Seed, int Inputs, TimeSpan Budget, TimeSpan Timeout,
        long MaxAllocatedBytes, string? Findings)
    {
        public static Options Parse(string[] args)
        {
            var positional = new List<string>();
            string? corpus = null, findings = null;
            int seed = 1, inputs = 1000;
            double seconds = double.PositiveInfinity, timeout = 10, maxMegabytes = 1024;
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--corpus": corpus = Value(); break;
                    case "--findings": findings = Value(); break;
                    case "--seed": seed = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--inputs": inputs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--seconds": seconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--timeout": timeout = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--max-mb": maxMegabytes = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                    default:
                        if (args[i].StartsWith("--", StringComparison.Ordinal))
                        {
                            throw new ArgumentException($"Unknown option {args[i]}.");
                        }

                        positional.Add(args[i]);
                        break;
                }
            }

            return new Options(positional, corpus ?? FindCorpus(), seed, inputs,
                double.IsPositiveInfinity(seconds) ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(timeout),
                (long)(maxMegabytes * 1024 * 1024), findings);
        }

        private static string FindCorpus()
        {
            for (string? dir = Directory.GetCurrentDirectory(); dir is not null; dir = Path.GetDirectoryName(dir))
            {
                string candidate = Path.Combine(dir, "tests", "fuzz", "corpus");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new ArgumentException("No tests/fuzz/corpus above the current folder; pass --corpus DIR.");
        }
    }
}
