using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Runs the body subgraph while the trip count and condition allow, carrying values and stacking per-iteration scan outputs.</summary>
internal sealed class Loop : OperatorDef
{
    public override string OpType => "Loop";

    public override string Types => "all (tensors, sequences, optionals)";

    public override string Limitations => "a loop with neither trip count nor condition runs until cancelled";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (!node.Attributes.TryGetValue("body", out NodeAttribute? a) || a.GraphValue is null)
        {
            problems.Add("attribute 'body' must be a graph");
            return;
        }

        Graph body = a.GraphValue;
        int carried = Math.Max(0, node.Inputs.Count - 2);
        if (body.Inputs.Count != carried + 2)
        {
            problems.Add($"the body has {body.Inputs.Count} inputs, expected {carried + 2} (iteration, condition, {carried} carried values)");
        }

        if (body.Outputs.Count < carried + 1)
        {
            problems.Add($"the body has {body.Outputs.Count} outputs, expected at least {carried + 1}");
        }
        else if (node.Outputs.Count > body.Outputs.Count - 1)
        {
            problems.Add($"the node has {node.Outputs.Count} outputs, the body only {body.Outputs.Count - 1} after the condition");
        }
    }

    public override void Execute(OpContext ctx)
    {
        Graph body = ctx.Node.Attributes["body"].GraphValue!;
        SubgraphRunner run = ctx.Subgraphs ?? throw ctx.Unsupported("subgraphs cannot run here");
        long? tripCount = ctx.Optional(0) is { } m ? (m.Length == 1 ? m.GetLong(0) : throw ctx.Fail($"the trip count must be a scalar, not {m}")) : null;
        bool cond = true;
        if (ctx.Optional(1) is { } c)
        {
            cond = c.Length == 1 ? c.GetLong(0) != 0 : throw ctx.Fail($"the condition must be a scalar, not {c}");
        }

        int carried = ctx.InputCount - 2;
        var state = new OpValue?[Math.Max(carried, 0)];
        for (int i = 0; i < state.Length; i++)
        {
            state[i] = ctx.Inputs[i + 2];
        }

        int scanCount = body.Outputs.Count - 1 - state.Length;
        var scans = new List<OpTensor>[scanCount];
        for (int k = 0; k < scanCount; k++)
        {
            scans[k] = [];
        }

        for (long it = 0; (tripCount is null || it < tripCount) && cond; it++)
        {
            var feeds = new Dictionary<string, OpValue?>(StringComparer.Ordinal);
            Feed(feeds, body.Inputs[0].Name, OpTensor.FromLongs([], [it]));
            Feed(feeds, body.Inputs[1].Name, new OpTensor(TensorElementType.Bool, [], new[] { cond }));
            for (int i = 0; i < state.Length; i++)
            {
                Feed(feeds, body.Inputs[i + 2].Name, state[i]);
            }

            OpValue?[] outs = run(body, feeds);
            OpTensor next = outs[0] as OpTensor ?? throw ctx.Fail("the body's condition output is not a tensor");
            cond = next.Length == 1 ? next.GetLong(0) != 0 : throw ctx.Fail($"the body's condition must be a scalar, not {next}");
            for (int i = 0; i < state.Length; i++)
            {
                state[i] = outs[i + 1];
            }

            for (int k = 0; k < scanCount; k++)
            {
                scans[k].Add(outs[1 + state.Length + k] as OpTensor
                    ?? throw ctx.Unsupported($"scan output {k} of the body is not a tensor"));
            }
        }

        for (int i = 0; i < state.Length; i++)
        {
            ctx.Outputs[i] = state[i];
        }

        for (int k = 0; k < scanCount; k++)
        {
            if (ctx.Wants(state.Length + k))
            {
                ctx.Outputs[state.Length + k] = scans[k].Count > 0
                    ? TensorParts.Stack(scans[k], 0, ctx)
                    : TensorParts.EmptyStack(body.Outputs[1 + state.Length + k], 0);
            }
        }
    }

    private static void Feed(Dictionary<string, OpValue?> feeds, string name, OpValue? value)
    {
        if (name.Length > 0)
        {
            feeds[name] = value;
        }
    }
}
