using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Runs the then_branch or else_branch subgraph depending on a boolean condition and returns its outputs.</summary>
internal sealed class If : OperatorDef
{
    public override string OpType => "If";

    public override string Types => "all (tensors, sequences, optionals)";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        foreach (string name in new[] { "then_branch", "else_branch" })
        {
            if (!node.Attributes.TryGetValue(name, out NodeAttribute? a) || a.GraphValue is null)
            {
                problems.Add($"attribute '{name}' must be a graph");
            }
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor cond = ctx.Input(0);
        if (cond.Length != 1)
        {
            throw ctx.Fail($"the condition must hold one element, not {cond}");
        }

        bool take = cond.IsFloat ? cond.GetDouble(0) != 0 : cond.GetLong(0) != 0;
        Graph body = ctx.Node.Attributes[take ? "then_branch" : "else_branch"].GraphValue
            ?? throw ctx.Fail("the branch is not a graph");
        SubgraphRunner run = ctx.Subgraphs ?? throw ctx.Unsupported("subgraphs cannot run here");
        OpValue?[] results = run(body, new Dictionary<string, OpValue?>());
        if (results.Length != ctx.OutputCount)
        {
            throw ctx.Fail($"the branch has {results.Length} outputs, the node {ctx.OutputCount}");
        }

        for (int i = 0; i < results.Length; i++)
        {
            ctx.Outputs[i] = results[i];
        }
    }
}
