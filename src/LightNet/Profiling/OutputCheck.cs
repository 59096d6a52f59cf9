using LightNet.Backends;

namespace LightNet.Profiling;

/// <summary>
/// One model × backend output check against a reference backend (what <c>lightnet verify</c> runs): the fidelity of every
/// output, or the problem that kept the backend from producing them.
/// </summary>
/// <param name="Model">The model's label.</param>
/// <param name="Backend">The backend checked.</param>
/// <param name="Precision">The backend's precision, which picks the rule.</param>
/// <param name="Outputs">One fidelity report per output (empty when <paramref name="Problem"/> is set).</param>
/// <param name="Problem">Why the backend gave no outputs; null when it ran.</param>
public sealed record OutputCheck(string Model, string Backend, Precision Precision, IReadOnlyList<FidelityReport> Outputs, string? Problem)
{
    /// <summary>The cosine floor for FP16 and INT8 backends when none is given: 0.999.</summary>
    public const double DefaultMinCosine = 0.999;

    /// <summary>
    /// Whether one output passes: an FP32 backend must be elementwise close (<see cref="FidelityReport.AllCloseRatio"/> ≤ 1,
    /// rtol 1e-3, atol 1e-4); an FP16 or INT8 backend must reach <paramref name="minCosine"/>.
    /// </summary>
    /// <param name="precision">The backend's precision.</param>
    /// <param name="output">The output's fidelity.</param>
    /// <param name="minCosine">The cosine floor for reduced precision.</param>
    /// <returns>True when the output passes.</returns>
    public static bool OutputPasses(Precision precision, FidelityReport output, double minCosine)
    {
        ArgumentNullException.ThrowIfNull(output);
        return precision == Precision.Fp32 ? output.AllCloseRatio <= 1 : output.CosineSimilarity >= minCosine;
    }

    /// <summary>Whether the backend ran and every output passes (<see cref="OutputPasses"/>).</summary>
    /// <param name="minCosine">The cosine floor for reduced precision.</param>
    /// <returns>True when the check passes.</returns>
    public bool Passed(double minCosine) => Problem is null && Outputs.Count > 0 && Outputs.All(o => OutputPasses(Precision, o, minCosine));
}
