using LightNet.Operators.Support;

namespace LightNet.Operators.Elementwise;

/// <summary>Gaussian error linear unit (exact or tanh approximation).</summary>
internal sealed class Gelu : UnaryOperator
{
    public override string OpType => "Gelu";

    public override int SinceVersion => 20;

    public override void Validate(Onnx.Node node, long opset, List<string> problems)
    {
        if (node.GetString("approximate", "none") is not ("none" or "tanh"))
        {
            problems.Add($"attribute 'approximate' = '{node.GetString("approximate", "")}' is not one of none, tanh");
        }
    }

    protected override Func<double, double> Function(OpContext ctx)
    {
        string approximate = ctx.String("approximate", "none");
        return approximate == "tanh"
            ? x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x))))
            : x => 0.5 * x * (1 + SpecialFunctions.Erf(x / Math.Sqrt(2)));
    }
}
