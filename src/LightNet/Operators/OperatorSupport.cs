using System.Globalization;
using System.Text;

namespace LightNet.Operators;

/// <summary>One operator the <c>cpu-simd</c> engine runs, as its registry describes it.</summary>
/// <param name="Domain">The operator's domain; empty for the default ONNX domain (ai.onnx).</param>
/// <param name="OpType">The ONNX operator type, e.g. <c>Conv</c>.</param>
/// <param name="SinceVersion">The first opset whose version of the operator is implemented (every later opset up to <see cref="OperatorSupport.MaxOpset"/> is accepted).</param>
/// <param name="Types">The element types it computes.</param>
/// <param name="Compiled">True when the compiled fast path (prepacked SIMD kernels, planned memory) handles the operator; otherwise it runs in the engine's interpreter.</param>
/// <param name="Limitations">What of the specification is not supported; empty when nothing is left out.</param>
public sealed record OperatorInfo(string Domain, string OpType, int SinceVersion, string Types, bool Compiled, string Limitations);

/// <summary>
/// Which ONNX operators and opsets the <c>cpu-simd</c> engine supports, read from its operator registry (one
/// entry per operator). <see cref="ToMarkdown"/> writes the table in docs/operators.md.
/// </summary>
public static class OperatorSupport
{
    /// <summary>The lowest default-domain opset the engine accepts.</summary>
    public static int MinOpset => OperatorRegistry.MinOpset;

    /// <summary>The highest default-domain opset the engine accepts.</summary>
    public static int MaxOpset => OperatorRegistry.MaxOpset;

    /// <summary>Every supported operator, by domain and type.</summary>
    public static IReadOnlyList<OperatorInfo> CpuSimd { get; } = OperatorRegistry.All
        .Select(o => new OperatorInfo(o.Domain, o.OpType, o.SinceVersion, o.Types, o.Compiled, o.Limitations))
        .ToArray();

    /// <summary>True when the engine has an implementation of the operator.</summary>
    /// <param name="opType">The operator type.</param>
    /// <param name="domain">Its domain ("" or "ai.onnx" for the default domain).</param>
    public static bool IsSupported(string opType, string domain = "")
    {
        ArgumentNullException.ThrowIfNull(opType);
        ArgumentNullException.ThrowIfNull(domain);
        return OperatorRegistry.Find(domain, opType) is not null;
    }

    /// <summary>The Markdown table of docs/operators.md (generated; do not edit that file by hand).</summary>
    public static string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Operators supported by `cpu-simd`");
        sb.AppendLine();
        sb.AppendLine("Generated from the engine's operator registry by `lightnet operators --md` (a test keeps this file in step).");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Models of default-domain opset {MinOpset} to {MaxOpset} are accepted. **Compiled** operators run in the");
        sb.AppendLine("planned SIMD fast path when every node of the model is compiled and shapes are static; any other model runs in the");
        sb.AppendLine("engine's interpreter (typed tensors, shapes computed at run time), which implements every operator below.");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{CpuSimd.Count} operators ({CpuSimd.Count(o => o.Compiled)} compiled).");
        sb.AppendLine();
        sb.AppendLine("| operator | since opset | element types | compiled | not supported |");
        sb.AppendLine("|---|---:|---|:---:|---|");
        foreach (OperatorInfo o in CpuSimd)
        {
            string name = o.Domain.Length == 0 ? o.OpType : $"{o.Domain}.{o.OpType}";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {o.SinceVersion} | {o.Types} | {(o.Compiled ? "yes" : "")} | {(o.Limitations.Length == 0 ? "" : o.Limitations.Replace("|", "\\|", StringComparison.Ordinal))} |");
        }

        return sb.ToString();
    }
}
