using System.Globalization;
using System.Text;
using LightNet.Backends;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>Writes output checks (<see cref="OutputCheck"/>) as a Markdown table, one row per model × backend × output.</summary>
public static class OutputCheckMarkdown
{
    /// <summary>The checks as a Markdown table with the rule each row was held to and its result.</summary>
    /// <param name="checks">The checks.</param>
    /// <param name="reference">The reference backend's name.</param>
    /// <param name="minCosine">The cosine floor the FP16 and INT8 rows were held to.</param>
    /// <returns>The Markdown.</returns>
    public static string Format(IReadOnlyList<OutputCheck> checks, string reference, double minCosine)
    {
        ArgumentNullException.ThrowIfNull(checks);
        static string G(double v) => double.IsFinite(v) ? v.ToString("G3", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("| Model | Backend | Output | Max abs error | allclose ratio | Cosine | Top-1 | Rule | Result |\n");
        sb.Append("|---|---|---|---:|---:|---:|---:|---|---|\n");
        foreach (OutputCheck c in checks)
        {
            string rule = c.Precision == Precision.Fp32 ? "allclose ≤ 1" : $"cosine ≥ {minCosine.ToString(CultureInfo.InvariantCulture)}";
            if (c.Problem is not null)
            {
                sb.Append($"| {c.Model} | {c.Backend} | — | — | — | — | — | {rule} | failed: {ReportMarkdown.Cell(c.Problem)} |\n");
                continue;
            }

            foreach (FidelityReport o in c.Outputs)
            {
                string top1 = o.Top1Agreement is double t ? (t * 100).ToString("F0", CultureInfo.InvariantCulture) + " %" : "—";
                string result = OutputCheck.OutputPasses(c.Precision, o, minCosine) ? "pass" : "FAIL";
                sb.Append($"| {c.Model} | {c.Backend} | {o.Output} | {G(o.MaxAbsoluteError)} | {G(o.AllCloseRatio)} | {o.CosineSimilarity.ToString("F6", CultureInfo.InvariantCulture)} | {top1} | {rule} | {result} |\n");
            }
        }

        sb.Append($"\nReference: {reference}. allclose ratio = max |a − r| / (1e-4 + 1e-3·|r|); 1 or below passes.\n");
        return sb.ToString();
    }

    /// <summary>Writes <see cref="Format"/> to a file, atomically (a temp file, then a rename).</summary>
    /// <param name="checks">The checks.</param>
    /// <param name="reference">The reference backend's name.</param>
    /// <param name="minCosine">The cosine floor the FP16 and INT8 rows were held to.</param>
    /// <param name="path">The file.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path; <see cref="ErrorCode.IOFailure"/> naming the file when it cannot be written.</exception>
    public static void Write(IReadOnlyList<OutputCheck> checks, string reference, double minCosine, string path) =>
        ReportJson.WriteText(Format(checks, reference, minCosine), path);
}
