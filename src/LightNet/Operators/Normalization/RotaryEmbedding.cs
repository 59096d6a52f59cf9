using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Rotary position embedding: rotates pairs (halves or interleaved) of the first rotary_embedding_dim features of each head by cached cos/sin.</summary>
internal sealed class RotaryEmbedding : OperatorDef
{
    public override string OpType => "RotaryEmbedding";

    public override int SinceVersion => 23;

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long rd = node.GetInt("rotary_embedding_dim", 0), nh = node.GetInt("num_heads", 0);
        if (rd < 0 || rd % 2 != 0)
        {
            problems.Add($"attribute 'rotary_embedding_dim' = {rd} must be a non-negative even number");
        }

        if (nh < 0)
        {
            problems.Add($"attribute 'num_heads' = {nh} must not be negative");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor xt = ctx.Input(0);
        double[] x = NormCommon.Floats(ctx, xt, "input X");
        int batch, seq, heads, head;
        bool fourD = xt.Rank == 4;
        if (fourD)
        {
            (batch, heads, seq, head) = ((int)xt.Dims[0], (int)xt.Dims[1], (int)xt.Dims[2], (int)xt.Dims[3]);
        }
        else if (xt.Rank == 3)
        {
            long nh = ctx.Int("num_heads", 0);
            if (nh <= 0 || xt.Dims[2] % nh != 0)
            {
                throw ctx.Fail($"a 3-D input of shape {Dimension.Format(xt.Dims)} needs attribute 'num_heads' dividing its hidden size (got {nh})");
            }

            (batch, seq, heads, head) = ((int)xt.Dims[0], (int)xt.Dims[1], (int)nh, (int)(xt.Dims[2] / nh));
        }
        else
        {
            throw ctx.Fail($"input X of shape {Dimension.Format(xt.Dims)} must be 3-D or 4-D");
        }

        long rdAttr = ctx.Int("rotary_embedding_dim", 0);
        if (rdAttr < 0 || rdAttr > head || rdAttr % 2 != 0 || head % 2 != 0)
        {
            throw ctx.Fail($"rotary_embedding_dim {rdAttr} must be even and at most the head size {head} (itself even)");
        }

        int rd = rdAttr == 0 ? head : (int)rdAttr;

        int half = rd / 2;
        OpTensor cosT = ctx.Input(1), sinT = ctx.Input(2);
        double[] cos = NormCommon.Floats(ctx, cosT, "cos_cache"), sin = NormCommon.Floats(ctx, sinT, "sin_cache");
        if (!cosT.Dims.SequenceEqual(sinT.Dims))
        {
            throw ctx.Fail($"cos_cache {Dimension.Format(cosT.Dims)} and sin_cache {Dimension.Format(sinT.Dims)} must have the same shape");
        }

        long[]? pos = ctx.OptionalInts(3);
        int width = (int)cosT.Dims[^1];
        if (width != half)
        {
            throw ctx.Fail($"the caches' last dimension {width} must be half the rotary dimension {rd}");
        }

        // Row of the caches for each (b, s).
        var row = new int[batch * seq];
        if (pos is not null)
        {
            if (cosT.Rank != 2 || pos.Length != batch * seq)
            {
                throw ctx.Fail($"with position_ids the caches must be 2-D (max_position, {half}) and position_ids ({batch}, {seq}); got {Dimension.Format(cosT.Dims)} and {pos.Length} ids");
            }

            for (int i = 0; i < row.Length; i++)
            {
                if (pos[i] < 0 || pos[i] >= cosT.Dims[0])
                {
                    throw ctx.Fail($"position id {pos[i]} is outside the caches' {cosT.Dims[0]} rows");
                }

                row[i] = (int)pos[i];
            }
        }
        else
        {
            if (cosT.Rank != 3 || cosT.Dims[0] != batch || cosT.Dims[1] != seq)
            {
                throw ctx.Fail($"without position_ids the caches must have shape ({batch}, {seq}, {half}), not {Dimension.Format(cosT.Dims)}");
            }

            for (int i = 0; i < row.Length; i++) row[i] = i;
        }

        bool interleaved = ctx.Int("interleaved", 0) != 0;
        var y = (double[])x.Clone();
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int s = 0; s < seq; s++)
                {
                    int o = fourD ? ((b * heads + h) * seq + s) * head : ((b * seq + s) * heads + h) * head;
                    int c = row[b * seq + s] * half;
                    for (int i = 0; i < half; i++)
                    {
                        int i1 = interleaved ? o + 2 * i : o + i, i2 = interleaved ? o + 2 * i + 1 : o + half + i;
                        double x1 = x[i1], x2 = x[i2], co = cos[c + i], si = sin[c + i];
                        y[i1] = co * x1 - si * x2;
                        y[i2] = si * x1 + co * x2;
                    }
                }
            }
        }

        ctx.Set(0, OpTensor.FromDoubles(xt.Type, xt.Dims, y));
    }
}
