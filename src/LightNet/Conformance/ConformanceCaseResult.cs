namespace LightNet.Conformance;

/// <summary>The result of one test case on one backend.</summary>
/// <param name="Case">The case's folder relative to the test root, with <c>/</c> separators (e.g. <c>node/test_abs</c>).</param>
/// <param name="Backend">The backend's name.</param>
/// <param name="Outcome">How the case ended.</param>
/// <param name="Operator">The operator the case is counted under in per-operator tables (see <see cref="ConformanceOperators.GroupKey"/>).</param>
/// <param name="Operators">The distinct op types of the model's nodes, in the order they first appear (empty when the model could not be read).</param>
/// <param name="ErrorCode">For <see cref="ConformanceOutcome.Refused"/>: the <see cref="LightNet.ErrorCode"/> name, or <c>Runner</c> when the runner cannot express the case's data;
/// for <see cref="ConformanceOutcome.Crashed"/>: the exception's type name or <c>WorkerExited</c>; otherwise null.</param>
/// <param name="Reason">Why the case did not pass, one line; null for a pass.</param>
/// <param name="MaxAbsoluteError">For a value mismatch: the largest |actual − expected| of the worst output (infinity when a non-finite value differs); otherwise null.</param>
/// <param name="WorstIndex">For a value mismatch: the output and element index furthest outside the tolerance, such as <c>y[0,2,1]</c>; otherwise null.</param>
/// <param name="Seconds">Wall time spent on the case, loading included.</param>
public sealed record ConformanceCaseResult(
    string Case,
    string Backend,
    ConformanceOutcome Outcome,
    string Operator,
    IReadOnlyList<string> Operators,
    string? ErrorCode,
    string? Reason,
    double? MaxAbsoluteError,
    string? WorstIndex,
    double Seconds)
{
    /// <summary>
    /// The full message of a refusal or crash when it says more than <see cref="Reason"/> (every problem of a multi-line message,
    /// with the case's folder written as <c>…/</c>); null otherwise.
    /// </summary>
    public string? Detail { get; init; }
}
