using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Runs the body once per slice of the scan inputs, carrying state values and stacking per-slice scan outputs (opset 8 batched form and opset 9+ form with axes and directions).</summary>
internal sealed class Scan : OperatorDef
{
    public override string OpType => "Scan";

    public override int SinceVersion => 8;

    public override string Types => "all";

    public override string Limitations => "opset 8: sequence_lens shorter than the batch's sequence length is not supported";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (!node.Attributes.TryGetValue("body", out NodeAttribute? a) || a.GraphValue is null)
        {
            problems.Add("attribute 'body' must be a graph");
            return;
        }

        long m = node.GetInt("num_scan_inputs", -1);
        int inputs = opset < 9 ? node.Inputs.Count - 1 : node.Inputs.Count;
        if (m < 1 || m > inputs)
        {
            problems.Add($"attribute 'num_scan_inputs' = {m} is out of range for {inputs} inputs");
            return;
        }

        int n = inputs - (int)m;
        Graph body = a.GraphValue;
        if (body.Inputs.Count != inputs)
        {
            problems.Add($"the body has {body.Inputs.Count} inputs, expected {inputs}");
        }

        if (body.Outputs.Count != node.Outputs.Count || body.Outputs.Count < n)
        {
            problems.Add($"the body has {body.Outputs.Count} outputs, the node {node.Outputs.Count}");
        }

        foreach ((string attr, int count) in new[] { ("scan_input_axes", (int)m), ("scan_input_directions", (int)m), ("directions", (int)m),
            ("scan_output_axes", node.Outputs.Count - n), ("scan_output_directions", node.Outputs.Count - n) })
        {
            if (node.GetInts(attr) is { } v && v.Count != count)
            {
                problems.Add($"attribute '{attr}' has {v.Count} values, expected {count}");
            }
        }

        foreach (string attr in new[] { "scan_input_directions", "scan_output_directions", "directions" })
        {
            if (node.GetInts(attr) is { } d && d.Any(v => v is not 0 and not 1))
            {
                problems.Add($"attribute '{attr}' = [{string.Join(", ", d)}] must hold only 0 and 1");
            }
        }
    }

    public override void Execute(OpContext ctx)
    {
        Graph body = ctx.Node.Attributes["body"].GraphValue!;
        SubgraphRunner run = ctx.Subgraphs ?? throw ctx.Unsupported("subgraphs cannot run here");
        int m = (int)ctx.Int("num_scan_inputs", 1);
        if (ctx.Opset >= 9)
        {
            OpValue?[] outs = RunScan(ctx, run, body, ctx.Inputs, m, ctx.Ints("scan_input_axes"), ctx.Ints("scan_input_directions"),
                ctx.Ints("scan_output_axes"), ctx.Ints("scan_output_directions"));
            Array.Copy(outs, ctx.Outputs, outs.Length);
            return;
        }

        // Opset 8: input 0 is sequence_lens, every other input has a leading batch axis; scan axis 1.
        OpValue?[] all = ctx.Inputs[1..];
        if (all.Length == 0 || all[^1] is not OpTensor last || last.Rank < 2)
        {
            throw ctx.Fail("opset-8 Scan needs scan inputs of shape [batch, sequence, ...]");
        }

        long batch = last.Dims[0];
        long seqLen = last.Dims[1];
        if (ctx.Optional(0) is { } lens && lens.ToLongs().Any(l => l != seqLen))
        {
            throw ctx.Unsupported($"sequence_lens other than the full length {seqLen} are not supported");
        }

        var perBatch = new List<OpValue?[]>();
        for (long b = 0; b < batch; b++)
        {
            var slice = new OpValue?[all.Length];
            for (int i = 0; i < all.Length; i++)
            {
                OpTensor t = all[i] as OpTensor ?? throw ctx.Fail($"input {i + 1} must be a tensor");
                if (t.Rank < 1 || t.Dims[0] != batch)
                {
                    throw ctx.Fail($"input {i + 1} {t} does not have the batch size {batch}");
                }

                slice[i] = TensorParts.Slice(t, 0, b);
            }

            perBatch.Add(RunScan(ctx, run, body, slice, m, null, ctx.Ints("directions"), null, null));
        }

        for (int k = 0; k < ctx.OutputCount; k++)
        {
            ctx.Outputs[k] = batch > 0
                ? TensorParts.Stack(perBatch.Select(r => r[k] as OpTensor ?? throw ctx.Fail($"output {k} is not a tensor")).ToList(), 0, ctx)
                : TensorParts.EmptyStack(body.Outputs[k], 0);
        }
    }

    private static OpValue?[] RunScan(OpContext ctx, SubgraphRunner run, Graph body, OpValue?[] inputs, int m,
        long[]? inAxes, long[]? inDirs, long[]? outAxes, long[]? outDirs)
    {
        int n = inputs.Length - m;
        int k = body.Outputs.Count - n;
        var state = new OpValue?[n];
        Array.Copy(inputs, state, n);
        var scanIn = new OpTensor[m];
        var axes = new int[m];
        long length = -1;
        for (int j = 0; j < m; j++)
        {
            scanIn[j] = inputs[n + j] as OpTensor ?? throw ctx.Fail($"scan input {j} must be a tensor");
            axes[j] = ctx.Axis(inAxes is { } ia && j < ia.Length ? ia[j] : 0, scanIn[j].Rank, "scan_input_axes entry");
            long len = scanIn[j].Dims.Length > 0 ? scanIn[j].Dims[axes[j]] : throw ctx.Fail($"scan input {j} is a scalar");
            if (length >= 0 && len != length)
            {
                throw ctx.Fail($"scan inputs have different lengths ({length} and {len}) along their scan axes");
            }

            length = len;
        }

        var scanOut = new List<OpTensor>[k];
        for (int j = 0; j < k; j++)
        {
            scanOut[j] = [];
        }

        for (long t = 0; t < length; t++)
        {
            var feeds = new Dictionary<string, OpValue?>(StringComparer.Ordinal);
            for (int i = 0; i < n; i++)
            {
                feeds[body.Inputs[i].Name] = state[i];
            }

            for (int j = 0; j < m; j++)
            {
                bool reverse = inDirs is { } d && j < d.Length && d[j] == 1;
                feeds[body.Inputs[n + j].Name] = TensorParts.Slice(scanIn[j], axes[j], reverse ? length - 1 - t : t);
            }

            OpValue?[] outs = run(body, feeds);
            Array.Copy(outs, state, n);
            for (int j = 0; j < k; j++)
            {
                scanOut[j].Add(outs[n + j] as OpTensor ?? throw ctx.Fail($"scan output {j} of the body is not a tensor"));
            }
        }

        var results = new OpValue?[n + k];
        Array.Copy(state, results, n);
        for (int j = 0; j < k; j++)
        {
            List<OpTensor> parts = scanOut[j];
            if (outDirs is { } d && j < d.Length && d[j] == 1)
            {
                parts.Reverse();
            }

            int partRank = parts.Count > 0 ? parts[0].Rank : body.Outputs[n + j].Shape?.Count ?? 0;
            int axis = ctx.Axis(outAxes is { } oa && j < oa.Length ? oa[j] : 0, partRank + 1, "scan_output_axes entry");
            results[n + j] = parts.Count > 0 ? TensorParts.Stack(parts, axis, ctx) : TensorParts.EmptyStack(body.Outputs[n + j], axis);
        }

        return results;
    }
}
