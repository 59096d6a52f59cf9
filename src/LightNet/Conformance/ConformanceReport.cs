namespace LightNet.Conformance;

/// <summary>How many cases ended each way on one backend (or one backend and operator).</summary>
/// <param name="Pass">Cases that passed.</param>
/// <param name="Wrong">Cases with a wrong output.</param>
/// <param name="Refused">Cases the backend (or the runner) declined.</param>
/// <param name="Crashed">Cases that threw an unexpected exception or killed the worker.</param>
/// <param name="Timeout">Cases that ran past the time limit.</param>
public sealed record ConformanceTotals(int Pass, int Wrong, int Refused, int Crashed, int Timeout)
{
    /// <summary>All cases counted.</summary>
    public int Total => Pass + Wrong + Refused + Crashed + Timeout;

    /// <summary>Counts the given results.</summary>
    /// <param name="results">The results.</param>
    /// <returns>The totals.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null.</exception>
    public static ConformanceTotals Of(IEnumerable<ConformanceCaseResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        int pass = 0, wrong = 0, refused = 0, crashed = 0, timeout = 0;
        foreach (ConformanceCaseResult r in results)
        {
            switch (r.Outcome)
            {
                case ConformanceOutcome.Pass: pass++; break;
                case ConformanceOutcome.Wrong: wrong++; break;
                case ConformanceOutcome.Refused: refused++; break;
                case ConformanceOutcome.Crashed: crashed++; break;
                default: timeout++; break;
            }
        }

        return new ConformanceTotals(pass, wrong, refused, crashed, timeout);
    }
}

/// <summary>One row of the per-operator table: the totals of every backend for the cases counted under one operator.</summary>
/// <param name="Operator">The operator (see <see cref="ConformanceOperators.GroupKey"/>).</param>
/// <param name="Cases">How many cases are counted under it.</param>
/// <param name="ByBackend">The totals per backend name.</param>
public sealed record ConformanceOperatorRow(string Operator, int Cases, IReadOnlyDictionary<string, ConformanceTotals> ByBackend);

/// <summary>A case whose outcome on a backend differs from a baseline report's.</summary>
/// <param name="Case">The case.</param>
/// <param name="Backend">The backend.</param>
/// <param name="Before">The outcome in the baseline; null when the baseline did not run the case on the backend.</param>
/// <param name="After">The outcome now.</param>
/// <param name="Reason">The reason now (null for a pass).</param>
public sealed record ConformanceChange(string Case, string Backend, ConformanceOutcome? Before, ConformanceOutcome After, string? Reason)
{
    /// <summary>True when the case passed in the baseline and does not pass now.</summary>
    public bool IsRegression => Before == ConformanceOutcome.Pass && After != ConformanceOutcome.Pass;

    /// <summary>True when the case passes now and did not before.</summary>
    public bool IsImprovement => After == ConformanceOutcome.Pass && Before != ConformanceOutcome.Pass;
}

/// <summary>
/// The result of a conformance run: every case on every backend, with totals, a per-operator breakdown, the cases where a
/// backend is wrong while a reference backend passes, and a comparison with an earlier report. Written by
/// <see cref="ConformanceJson"/> as JSON (schema <c>lightnet.conformance/1</c>) and <see cref="ConformanceMarkdown"/> as Markdown.
/// </summary>
public sealed class ConformanceReport
{
    /// <summary>The JSON schema name and version this report is written with.</summary>
    public const string CurrentSchema = "lightnet.conformance/1";

    private readonly Dictionary<(string Case, string Backend), ConformanceCaseResult> _index;

    /// <summary>Builds a report from results.</summary>
    /// <param name="testRoot">The folder the cases came from.</param>
    /// <param name="backends">The backends, in the order they ran.</param>
    /// <param name="results">One result per case and backend.</param>
    /// <param name="relativeTolerance">The relative tolerance used.</param>
    /// <param name="absoluteTolerance">The absolute tolerance used.</param>
    /// <param name="isolation">How the cases were run.</param>
    /// <param name="backendSeconds">Wall time per backend, worker starts included; null when unknown.</param>
    /// <param name="createdUtc">When the run ended; null for now.</param>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    public ConformanceReport(string testRoot, IReadOnlyList<string> backends, IReadOnlyList<ConformanceCaseResult> results, double relativeTolerance,
        double absoluteTolerance, ConformanceIsolation isolation, IReadOnlyDictionary<string, double>? backendSeconds = null, DateTimeOffset? createdUtc = null)
    {
        ArgumentNullException.ThrowIfNull(testRoot);
        ArgumentNullException.ThrowIfNull(backends);
        ArgumentNullException.ThrowIfNull(results);
        TestRoot = testRoot;
        Backends = backends.ToArray();
        Results = results.ToArray();
        RelativeTolerance = relativeTolerance;
        AbsoluteTolerance = absoluteTolerance;
        Isolation = isolation;
        BackendSeconds = backendSeconds ?? new Dictionary<string, double>();
        CreatedUtc = createdUtc ?? DateTimeOffset.UtcNow;
        _index = new Dictionary<(string, string), ConformanceCaseResult>();
        foreach (ConformanceCaseResult r in Results)
        {
            _index[(r.Case, r.Backend)] = r;
        }

        Cases = Results.Select(r => r.Case).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The folder the cases came from.</summary>
    public string TestRoot { get; }

    /// <summary>When the run ended.</summary>
    public DateTimeOffset CreatedUtc { get; }

    /// <summary>The backends, in the order they ran.</summary>
    public IReadOnlyList<string> Backends { get; }

    /// <summary>Every case run, relative to <see cref="TestRoot"/>, in ordinal order.</summary>
    public IReadOnlyList<string> Cases { get; }

    /// <summary>One result per case and backend.</summary>
    public IReadOnlyList<ConformanceCaseResult> Results { get; }

    /// <summary>The relative tolerance of the floating-point comparison.</summary>
    public double RelativeTolerance { get; }

    /// <summary>The absolute tolerance of the floating-point comparison.</summary>
    public double AbsoluteTolerance { get; }

    /// <summary>How the cases were run.</summary>
    public ConformanceIsolation Isolation { get; }

    /// <summary>Wall time per backend in seconds, worker starts included.</summary>
    public IReadOnlyDictionary<string, double> BackendSeconds { get; }

    /// <summary>The result of a case on a backend, or null when it was not run.</summary>
    /// <param name="caseName">The case, relative to the test root.</param>
    /// <param name="backend">The backend's name.</param>
    /// <returns>The result or null.</returns>
    public ConformanceCaseResult? Find(string caseName, string backend) => _index.GetValueOrDefault((caseName, backend));

    /// <summary>The totals of one backend.</summary>
    /// <param name="backend">The backend's name.</param>
    /// <returns>The totals (all zero for a backend that did not run).</returns>
    public ConformanceTotals Totals(string backend) => ConformanceTotals.Of(Results.Where(r => r.Backend == backend));

    /// <summary>The per-operator table: one row per operator (see <see cref="ConformanceOperators.GroupKey"/>), ordered by name.</summary>
    /// <returns>The rows.</returns>
    public IReadOnlyList<ConformanceOperatorRow> ByOperator() =>
        Results.GroupBy(r => r.Operator, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase)
            .Select(g => new ConformanceOperatorRow(g.Key, g.Select(r => r.Case).Distinct(StringComparer.Ordinal).Count(),
                Backends.ToDictionary(b => b, b => ConformanceTotals.Of(g.Where(r => r.Backend == b)), StringComparer.Ordinal)))
            .ToArray();

    /// <summary>
    /// The results of other backends that are <see cref="ConformanceOutcome.Wrong"/>, <see cref="ConformanceOutcome.Crashed"/> or
    /// <see cref="ConformanceOutcome.Timeout"/> on a case <paramref name="reference"/> passes ("wrong where the reference is right").
    /// Refusals are not listed: declining an operator is honest.
    /// </summary>
    /// <param name="reference">The reference backend's name, such as <c>ort-cpu</c>.</param>
    /// <returns>The failing results, by case then backend.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reference"/> is null.</exception>
    public IReadOnlyList<ConformanceCaseResult> WrongWhereReferencePasses(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return Results
            .Where(r => r.Backend != reference && r.Outcome is ConformanceOutcome.Wrong or ConformanceOutcome.Crashed or ConformanceOutcome.Timeout
                && Find(r.Case, reference)?.Outcome == ConformanceOutcome.Pass)
            .OrderBy(r => r.Case, StringComparer.Ordinal).ThenBy(r => r.Backend, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The cases whose outcome changed since <paramref name="baseline"/>, for the backends of this report.</summary>
    /// <param name="baseline">An earlier report, such as one read with <see cref="ConformanceJson.Read"/>.</param>
    /// <returns>The changes, by case then backend; cases the baseline did not run count as changes only when they do not pass now.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="baseline"/> is null.</exception>
    public IReadOnlyList<ConformanceChange> CompareTo(ConformanceReport baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var changes = new List<ConformanceChange>();
        foreach (ConformanceCaseResult r in Results.OrderBy(r => r.Case, StringComparer.Ordinal).ThenBy(r => r.Backend, StringComparer.Ordinal))
        {
            ConformanceOutcome? before = baseline.Find(r.Case, r.Backend)?.Outcome;
            if (before != r.Outcome && (before is not null || r.Outcome != ConformanceOutcome.Pass))
            {
                changes.Add(new ConformanceChange(r.Case, r.Backend, before, r.Outcome, r.Reason));
            }
        }

        return changes;
    }
}
