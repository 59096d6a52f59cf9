using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>
/// A key/value-cache update (opset 24): a copy of past_cache with update written along the sequence axis at each
/// batch entry's write index (0 when write_indices is absent), wrapping around in circular mode.
/// </summary>
internal sealed class TensorScatter : OperatorDef
{
    public override string OpType => "TensorScatter";

    public override int SinceVersion => 24;

    public override string Types => "all";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        if (node.GetString("mode", "linear") is not ("linear" or "circular"))
        {
            problems.Add($"attribute 'mode' = '{node.GetString("mode", "")}' is not linear or circular");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor past = ctx.Input(0), update = ctx.Input(1);
        int rank = past.Rank;
        int axis = ctx.Axis(ctx.Int("axis", -2), rank);
        if (axis == 0 || update.Rank != rank || update.Type != past.Type
            || Enumerable.Range(0, rank).Any(d => d != axis && update.Dims[d] != past.Dims[d]) || update.Dims[axis] > past.Dims[axis])
        {
            throw ctx.Fail($"update {update} does not fit past_cache {past} along axis {axis} (which must not be the batch axis)");
        }

        long batch = past.Dims[0], maxSeq = past.Dims[axis], seq = update.Dims[axis];
        long[] writes = ctx.OptionalInts(2) ?? new long[batch];
        if (writes.Length != batch)
        {
            throw ctx.Fail($"write_indices has {writes.Length} values for a batch of {batch}");
        }

        bool circular = ctx.String("mode", "linear") == "circular";
        long inner = 1;
        for (int d = axis + 1; d < rank; d++) inner *= past.Dims[d];
        long perBatch = 1;
        for (int d = 1; d < axis; d++) perBatch *= past.Dims[d];
        Array y = (Array)past.Data.Clone();
        for (long b = 0; b < batch; b++)
        {
            long start = writes[b];
            if (!circular && (start < 0 || start + seq > maxSeq))
            {
                throw ctx.Fail($"write index {start} + {seq} updates exceed the cache length {maxSeq} (batch entry {b})");
            }

            for (long p = 0; p < perBatch; p++)
            {
                long outer = (b * perBatch) + p;
                for (long s = 0; s < seq; s++)
                {
                    long target = circular ? (((start + s) % maxSeq) + maxSeq) % maxSeq : start + s;
                    Array.Copy(update.Data, ((outer * seq) + s) * inner, y, ((outer * maxSeq) + target) * inner, inner);
                }
            }
        }

        ctx.Set(0, new OpTensor(past.Type, past.Dims, y));
    }
}
