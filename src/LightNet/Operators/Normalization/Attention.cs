using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Scaled dot-product attention softmax(scale Q K^T + mask) V with grouped-query heads, key/value caches, causal and padding masks, softcap.</summary>
internal sealed class Attention : OperatorDef
{
    public override string OpType => "Attention";

    public override int SinceVersion => 23;

    public override string Types => "float32, float16, bfloat16, float64 (Q, K, V, float masks); bool masks; int64 nonpad_kv_seqlen";

    public override string Limitations => "computes in float64 whatever softmax_precision asks for";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long mode = node.GetInt("qk_matmul_output_mode", 0);
        if (mode is < 0 or > 3)
        {
            problems.Add($"attribute 'qk_matmul_output_mode' = {mode} must be 0, 1, 2 or 3");
        }

        long causal = node.GetInt("is_causal", 0);
        if (causal is not (0 or 1))
        {
            problems.Add($"attribute 'is_causal' = {causal} must be 0 or 1");
        }

        foreach (string a in new[] { "q_num_heads", "kv_num_heads" })
        {
            if (node.Attributes.ContainsKey(a) && node.GetInt(a, 1) < 1)
            {
                problems.Add($"attribute '{a}' = {node.GetInt(a, 1)} must be positive");
            }
        }

        if (node.Attributes.ContainsKey("softmax_precision") && node.GetInt("softmax_precision", 1) is not (1 or 10 or 11 or 16))
        {
            problems.Add($"attribute 'softmax_precision' = {node.GetInt("softmax_precision", 1)} is not a floating-point element type");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor qt = ctx.Input(0), kt = ctx.Input(1), vt = ctx.Input(2);
        if (qt.Rank != kt.Rank || qt.Rank != vt.Rank || qt.Rank is not (3 or 4))
        {
            throw ctx.Fail($"Q {Dimension.Format(qt.Dims)}, K {Dimension.Format(kt.Dims)} and V {Dimension.Format(vt.Dims)} must all be 3-D or all 4-D");
        }

        bool threeD = qt.Rank == 3;
        int batch = (int)qt.Dims[0];
        int hq, hkv, sq, skv, d, dv;
        if (threeD)
        {
            long qh = ctx.Int("q_num_heads", 0), kvh = ctx.Int("kv_num_heads", 0);
            if (qh <= 0 || kvh <= 0)
            {
                throw ctx.Fail("3-D inputs need the attributes 'q_num_heads' and 'kv_num_heads'");
            }

            if (qt.Dims[2] % qh != 0 || kt.Dims[2] % kvh != 0 || vt.Dims[2] % kvh != 0)
            {
                throw ctx.Fail($"hidden sizes of Q {Dimension.Format(qt.Dims)}, K {Dimension.Format(kt.Dims)}, V {Dimension.Format(vt.Dims)} must divide by q_num_heads {qh} and kv_num_heads {kvh}");
            }

            (hq, hkv, sq, skv) = ((int)qh, (int)kvh, (int)qt.Dims[1], (int)kt.Dims[1]);
            (d, dv) = ((int)(qt.Dims[2] / qh), (int)(vt.Dims[2] / kvh));
            if (kt.Dims[2] / kvh != d)
            {
                throw ctx.Fail($"Q {Dimension.Format(qt.Dims)} and K {Dimension.Format(kt.Dims)} give different head sizes");
            }
        }
        else
        {
            (hq, sq, d) = ((int)qt.Dims[1], (int)qt.Dims[2], (int)qt.Dims[3]);
            (hkv, skv, dv) = ((int)kt.Dims[1], (int)kt.Dims[2], (int)vt.Dims[3]);
            if (kt.Dims[3] != d || vt.Dims[1] != hkv || vt.Dims[2] != skv)
            {
                throw ctx.Fail($"K {Dimension.Format(kt.Dims)} and V {Dimension.Format(vt.Dims)} do not match Q {Dimension.Format(qt.Dims)}");
            }
        }

        if (kt.Dims[0] != batch || vt.Dims[0] != batch || (threeD && vt.Dims[1] != skv))
        {
            throw ctx.Fail($"Q {Dimension.Format(qt.Dims)}, K {Dimension.Format(kt.Dims)} and V {Dimension.Format(vt.Dims)} disagree on batch or sequence length");
        }

        if (hkv == 0 || hq % hkv != 0)
        {
            throw ctx.Fail($"the {hq} query heads must be a multiple of the {hkv} key/value heads");
        }

        double[] q = NormCommon.Floats(ctx, qt, "Q"), k = NormCommon.Floats(ctx, kt, "K"), v = NormCommon.Floats(ctx, vt, "V");

        // Caches: present = concat(past, current) along the sequence axis, as (B, Hkv, T, D).
        OpTensor? pastK = ctx.Optional(4), pastV = ctx.Optional(5);
        if ((pastK is null) != (pastV is null))
        {
            throw ctx.Fail("past_key and past_value must be given together");
        }

        int past = 0;
        double[]? pk = null, pv = null;
        if (pastK is not null)
        {
            if (pastK.Rank != 4 || pastV!.Rank != 4 || pastK.Dims[0] != batch || pastK.Dims[1] != hkv || pastK.Dims[3] != d
                || pastV.Dims[0] != batch || pastV.Dims[1] != hkv || pastV.Dims[2] != pastK.Dims[2] || pastV.Dims[3] != dv)
            {
                throw ctx.Fail($"past_key {Dimension.Format(pastK.Dims)} and past_value {Dimension.Format(pastV!.Dims)} must be ({batch}, {hkv}, past, {d}) and ({batch}, {hkv}, past, {dv})");
            }

            past = (int)pastK.Dims[2];
            pk = NormCommon.Floats(ctx, pastK, "past_key");
            pv = NormCommon.Floats(ctx, pastV, "past_value");
        }

        int total = checked(past + skv);
        double[] keys = Concat(k, pk, batch, hkv, past, skv, d, threeD);
        double[] values = Concat(v, pv, batch, hkv, past, skv, dv, threeD);

        // Mask: broadcast to (B, Hq, Sq, T'), T' <= T (the rest is masked).
        OpTensor? maskT = ctx.Optional(3);
        double[]? maskF = null;
        bool[]? maskB = null;
        long[] mStride = new long[4];
        int maskCols = 0;
        if (maskT is not null)
        {
            if (maskT.Rank is < 1 or > 4)
            {
                throw ctx.Fail($"attn_mask of shape {Dimension.Format(maskT.Dims)} must have rank 1 to 4");
            }

            long[] md = new long[4];
            for (int i = 0; i < 4; i++) md[i] = i < 4 - maskT.Rank ? 1 : maskT.Dims[i - (4 - maskT.Rank)];
            long[] target = [batch, hq, sq, total];
            maskCols = (int)md[3];
            if (maskCols > total)
            {
                throw ctx.Fail($"attn_mask of shape {Dimension.Format(maskT.Dims)} has more columns than the total sequence length {total}");
            }

            for (int i = 0; i < 3; i++)
            {
                if (md[i] != 1 && md[i] != target[i])
                {
                    throw ctx.Fail($"attn_mask of shape {Dimension.Format(maskT.Dims)} does not broadcast to ({batch}, {hq}, {sq}, {total})");
                }
            }

            long stride = 1;
            for (int i = 3; i >= 0; i--)
            {
                mStride[i] = md[i] == 1 && i < 3 ? 0 : stride;
                stride *= md[i];
            }

            if (maskT.Type == TensorElementType.Bool)
            {
                maskB = maskT.ToBools();
            }
            else
            {
                maskF = NormCommon.Floats(ctx, maskT, "attn_mask");
            }
        }

        long[]? nonpad = null;
        if (ctx.Has(6))
        {
            nonpad = ctx.OptionalInts(6)!;
            if (nonpad.Length != batch)
            {
                throw ctx.Fail($"nonpad_kv_seqlen has {nonpad.Length} values; expected the batch size {batch}");
            }
        }

        bool causal = ctx.Int("is_causal", 0) == 1;
        double scale = ctx.HasAttribute("scale") ? ctx.Float("scale", 1f) : 1.0 / Math.Sqrt(d);
        double softcap = ctx.Float("softcap", 0f);
        long mode = ctx.Int("qk_matmul_output_mode", 0);
        bool wantQk = ctx.Wants(3);
        int reps = hq / hkv;

        var y = new double[OpTensor.Count([batch, hq, sq, dv])];
        double[]? qkOut = wantQk ? new double[OpTensor.Count([batch, hq, sq, total])] : null;
        var scores = new double[total];
        var raw = new double[total];
        for (int b = 0; b < batch; b++)
        {
            long causalOffset = pastK is not null ? past : nonpad is not null ? nonpad[b] - sq : 0;
            for (int h = 0; h < hq; h++)
            {
                int kh = h / reps;
                for (int i = 0; i < sq; i++)
                {
                    int qo = threeD ? ((b * sq + i) * hq + h) * d : ((b * hq + h) * sq + i) * d;
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < total; j++)
                    {
                        int ko = ((b * hkv + kh) * total + j) * d;
                        double s = 0;
                        for (int t = 0; t < d; t++) s += q[qo + t] * keys[ko + t];
                        s *= scale;
                        if (softcap > 0)
                        {
                            s = softcap * Math.Tanh(s / softcap);
                        }

                        raw[j] = s;
                        double bias = 0;
                        bool masked = false;
                        if (maskT is not null)
                        {
                            if (j >= maskCols)
                            {
                                masked = true;
                            }
                            else
                            {
                                long mo = b * mStride[0] + h * mStride[1] + i * mStride[2] + j;
                                if (maskB is not null)
                                {
                                    masked = !maskB[mo];
                                }
                                else
                                {
                                    bias = maskF![mo];
                                }
                            }
                        }

                        if (causal && j > i + causalOffset)
                        {
                            masked = true;
                        }

                        if (nonpad is not null && j >= nonpad[b])
                        {
                            masked = true;
                        }

                        double sb = masked ? double.NegativeInfinity : s + bias;
                        scores[j] = sb;
                        if (sb > max) max = sb;
                    }

                    int ro = ((b * hq + h) * sq + i) * total;
                    if (qkOut is not null && mode is 0 or 1 or 2)
                    {
                        for (int j = 0; j < total; j++) qkOut[ro + j] = mode == 2 ? scores[j] : raw[j];
                    }

                    // Softmax; a row with every position masked gives zeros.
                    double sum = 0;
                    for (int j = 0; j < total; j++)
                    {
                        double e = double.IsNegativeInfinity(max) ? 0 : scores[j] == double.NegativeInfinity ? 0 : Math.Exp(scores[j] - max);
                        scores[j] = e;
                        sum += e;
                    }

                    for (int j = 0; j < total; j++) scores[j] = sum > 0 ? scores[j] / sum : sum == 0 ? 0 : double.NaN;
                    if (qkOut is not null && mode == 3)
                    {
                        Array.Copy(scores, 0, qkOut, ro, total);
                    }

                    int yo = threeD ? ((b * sq + i) * hq + h) * dv : ((b * hq + h) * sq + i) * dv;
                    for (int j = 0; j < total; j++)
                    {
                        double p = scores[j];
                        if (p == 0)
                        {
                            continue;
                        }

                        int vo = ((b * hkv + kh) * total + j) * dv;
                        for (int t = 0; t < dv; t++) y[yo + t] += p * values[vo + t];
                    }
                }
            }
        }

        long[] yDims = threeD ? [batch, sq, (long)hq * dv] : [batch, hq, sq, dv];
        ctx.Set(0, OpTensor.FromDoubles(qt.Type, yDims, y));
        if (ctx.Wants(1))
        {
            ctx.Set(1, OpTensor.FromDoubles(pastK?.Type ?? kt.Type, [batch, hkv, total, d], keys));
        }

        if (ctx.Wants(2))
        {
            ctx.Set(2, OpTensor.FromDoubles(pastV?.Type ?? vt.Type, [batch, hkv, total, dv], values));
        }

        if (qkOut is not null)
        {
            ctx.Set(3, OpTensor.FromDoubles(qt.Type, [batch, hq, sq, total], qkOut));
        }
    }

    /// <summary>(B, H, past + cur, width) from an optional (B, H, past, width) cache and the current K or V (3-D (B, cur, H*width) or 4-D).</summary>
    private static double[] Concat(double[] cur, double[]? cache, int batch, int heads, int past, int len, int width, bool threeD)
    {
        int total = past + len;
        var r = new double[OpTensor.Count([batch, heads, total, width])];
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                int o = (b * heads + h) * total * width;
                if (cache is not null)
                {
                    Array.Copy(cache, (b * heads + h) * past * width, r, o, past * width);
                }

                for (int s = 0; s < len; s++)
                {
                    int src = threeD ? ((b * len + s) * heads + h) * width : ((b * heads + h) * len + s) * width;
                    Array.Copy(cur, src, r, o + (past + s) * width, width);
                }
            }
        }

        return r;
    }
}
