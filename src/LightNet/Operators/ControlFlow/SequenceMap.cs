using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Runs the body once per element of the input sequence (other sequence inputs advance with it, tensors are passed whole), collecting each output into a sequence.</summary>
internal sealed class SequenceMap : OperatorDef
{
    public override string OpType => "SequenceMap";

    public override int SinceVersion => 17;

    public override string Types => "all";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (!node.Attributes.TryGetValue("body", out NodeAttribute? a) || a.GraphValue is null)
        {
            problems.Add("attribute 'body' must be a graph");
            return;
        }

        if (a.GraphValue.Inputs.Count != node.Inputs.Count || a.GraphValue.Outputs.Count != node.Outputs.Count)
        {
            problems.Add($"the body has {a.GraphValue.Inputs.Count} inputs and {a.GraphValue.Outputs.Count} outputs, the node {node.Inputs.Count} and {node.Outputs.Count}");
        }
    }

    public override void Execute(OpContext ctx)
    {
        Graph body = ctx.Node.Attributes["body"].GraphValue!;
        SubgraphRunner run = ctx.Subgraphs ?? throw ctx.Unsupported("subgraphs cannot run here");
        int count = ctx.Sequence(0).Items.Count;
        for (int i = 1; i < ctx.InputCount; i++)
        {
            if (ctx.Inputs[i] is OpSequence s && s.Items.Count != count)
            {
                throw ctx.Fail($"sequence input {i} has {s.Items.Count} tensors, input 0 {count}");
            }
        }

        var results = new List<OpTensor>[ctx.OutputCount];
        for (int k = 0; k < results.Length; k++)
        {
            results[k] = [];
        }

        for (int e = 0; e < count; e++)
        {
            var feeds = new Dictionary<string, OpValue?>(StringComparer.Ordinal);
            for (int i = 0; i < ctx.InputCount; i++)
            {
                feeds[body.Inputs[i].Name] = ctx.Inputs[i] is OpSequence s ? s.Items[e] : ctx.Inputs[i];
            }

            OpValue?[] outs = run(body, feeds);
            for (int k = 0; k < results.Length; k++)
            {
                results[k].Add(outs[k] as OpTensor ?? throw ctx.Fail($"body output {k} is not a tensor"));
            }
        }

        for (int k = 0; k < results.Length; k++)
        {
            TensorElementType type = results[k].Count > 0 ? results[k][0].Type
                : OpTensor.IsSupported(body.Outputs[k].ElementType) ? body.Outputs[k].ElementType : TensorElementType.Float;
            ctx.Set(k, new OpSequence(type, results[k]));
        }
    }
}
