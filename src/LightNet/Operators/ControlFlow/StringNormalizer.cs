using System.Globalization;
using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Removes stop words from a [C] or [1, C] string tensor and optionally changes the case of the rest.</summary>
internal sealed class StringNormalizer : OperatorDef
{
    public override string OpType => "StringNormalizer";

    public override int SinceVersion => 10;

    public override string Types => "string";

    public override string Limitations => "the 'locale' attribute is ignored: case changes and comparisons use the invariant culture";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        string action = node.GetString("case_change_action", "NONE");
        if (action is not "NONE" and not "LOWER" and not "UPPER")
        {
            problems.Add($"attribute 'case_change_action' = '{action}' must be NONE, LOWER or UPPER");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Type != TensorElementType.String || !(x.Rank == 1 || (x.Rank == 2 && x.Dims[0] == 1)))
        {
            throw ctx.Fail($"the input {x} must be a [C] or [1, C] string tensor");
        }

        bool sensitive = ctx.Int("is_case_sensitive", 0) != 0;
        IEnumerable<string> stop = ctx.Node.Attributes.TryGetValue("stopwords", out NodeAttribute? a) ? a.StringValues : [];
        var stopwords = new HashSet<string>(stop, sensitive ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        string action = ctx.String("case_change_action", "NONE");
        var kept = new List<string>();
        foreach (string s in x.Get<string>())
        {
            if (stopwords.Contains(s))
            {
                continue;
            }

            kept.Add(action switch
            {
                "LOWER" => s.ToLower(CultureInfo.InvariantCulture),
                "UPPER" => s.ToUpper(CultureInfo.InvariantCulture),
                _ => s,
            });
        }

        if (kept.Count == 0)
        {
            ctx.Set(0, new OpTensor(TensorElementType.String, x.Rank == 1 ? [1] : [1, 1], new[] { string.Empty }));
            return;
        }

        long[] dims = x.Rank == 1 ? [kept.Count] : [1, kept.Count];
        ctx.Set(0, new OpTensor(TensorElementType.String, dims, kept.ToArray()));
    }
}
