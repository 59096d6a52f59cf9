using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>
/// The shared driver of RNN, GRU and LSTM: input layouts, directions, sequence lengths, initial states, biases,
/// peepholes, clipping, the activation functions and all outputs. Each operator file supplies only its cell kind.
/// </summary>
internal static class Recurrent
{
    public enum Cell
    {
        Rnn,
        Gru,
        Lstm,
    }

    private static int Gates(Cell cell) => cell switch { Cell.Rnn => 1, Cell.Gru => 3, _ => 4 };

    private static int ActivationCount(Cell cell) => cell switch { Cell.Rnn => 1, Cell.Gru => 2, _ => 3 };

    private static string[] DefaultActivations(Cell cell) => cell switch
    {
        Cell.Rnn => ["Tanh"],
        Cell.Gru => ["Sigmoid", "Tanh"],
        _ => ["Sigmoid", "Tanh", "Tanh"],
    };

    private static readonly string[] s_known =
        ["Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu", "Softsign", "Softplus"];

    /// <summary>Checks direction, hidden_size, layout and the activation names.</summary>
    public static void Validate(Cell cell, Node node, List<string> problems)
    {
        string dir = node.GetString("direction", "forward");
        if (dir is not ("forward" or "reverse" or "bidirectional"))
        {
            problems.Add($"attribute 'direction' = '{dir}' must be forward, reverse or bidirectional");
        }

        if (node.Attributes.ContainsKey("hidden_size") && node.GetInt("hidden_size", 1) < 1)
        {
            problems.Add($"attribute 'hidden_size' = {node.GetInt("hidden_size", 1)} must be positive");
        }

        long layout = node.GetInt("layout", 0);
        if (layout is not (0 or 1))
        {
            problems.Add($"attribute 'layout' = {layout} must be 0 or 1");
        }

        if (node.Attributes.TryGetValue("activations", out NodeAttribute? a))
        {
            foreach (string s in a.StringValues)
            {
                if (!s_known.Any(k => k.Equals(s, StringComparison.OrdinalIgnoreCase)))
                {
                    problems.Add($"attribute 'activations' names an unknown function '{s}'");
                }
            }

            int per = ActivationCount(cell);
            int dirs = dir == "bidirectional" ? 2 : 1;
            if (a.StringValues.Count != per && a.StringValues.Count != per * dirs)
            {
                problems.Add($"attribute 'activations' has {a.StringValues.Count} names; expected {per * dirs}");
            }
        }
    }

    public static void Run(OpContext ctx, Cell cell)
    {
        int g = Gates(cell);
        OpTensor xt = ctx.Input(0), wt = ctx.Input(1), rt = ctx.Input(2);
        if (xt.Rank != 3 || wt.Rank != 3 || rt.Rank != 3)
        {
            throw ctx.Fail($"X {Dimension.Format(xt.Dims)}, W {Dimension.Format(wt.Dims)} and R {Dimension.Format(rt.Dims)} must be 3-D");
        }

        string direction = ctx.String("direction", "forward");
        int dirs = direction == "bidirectional" ? 2 : 1;
        bool batchFirst = ctx.Opset >= 14 && ctx.Int("layout", 0) == 1;
        int seq = (int)(batchFirst ? xt.Dims[1] : xt.Dims[0]), batch = (int)(batchFirst ? xt.Dims[0] : xt.Dims[1]), input = (int)xt.Dims[2];
        if (ctx.HasAttribute("hidden_size") && ctx.Int("hidden_size", 0) != rt.Dims[2])
        {
            throw ctx.Fail($"attribute 'hidden_size' = {ctx.Int("hidden_size", 0)} disagrees with R of shape {Dimension.Format(rt.Dims)}");
        }

        int hidden = (int)rt.Dims[2];
        if (wt.Dims[0] != dirs || wt.Dims[1] != (long)g * hidden || wt.Dims[2] != input)
        {
            throw ctx.Fail($"W of shape {Dimension.Format(wt.Dims)} must be ({dirs}, {g * hidden}, {input})");
        }

        if (rt.Dims[0] != dirs || rt.Dims[1] != (long)g * hidden || rt.Dims[2] != hidden)
        {
            throw ctx.Fail($"R of shape {Dimension.Format(rt.Dims)} must be ({dirs}, {g * hidden}, {hidden})");
        }

        double[] x = NormCommon.Floats(ctx, xt, "X"), w = NormCommon.Floats(ctx, wt, "W"), r = NormCommon.Floats(ctx, rt, "R");
        double[]? bias = Optional(ctx, 3, "B", [dirs, 2L * g * hidden]);
        long[]? lens = ctx.OptionalInts(4);
        if (lens is not null && lens.Length != batch)
        {
            throw ctx.Fail($"sequence_lens has {lens.Length} values; expected the batch size {batch}");
        }

        if (lens is not null && lens.Any(l => l < 0 || l > seq))
        {
            throw ctx.Fail($"sequence_lens values must lie in [0, {seq}]");
        }

        long[] stateDims = batchFirst ? [batch, dirs, hidden] : [dirs, batch, hidden];
        double[]? h0 = Optional(ctx, 5, "initial_h", stateDims);
        double[]? c0 = cell == Cell.Lstm ? Optional(ctx, 6, "initial_c", stateDims) : null;
        double[]? peep = cell == Cell.Lstm ? Optional(ctx, 7, "P", [dirs, 3L * hidden]) : null;

        Func<double, double>[] acts = Activations(ctx, cell, dirs);
        int per = ActivationCount(cell);
        double clip = ctx.HasAttribute("clip") ? ctx.Float("clip", 0f) : double.PositiveInfinity;
        bool lbr = cell == Cell.Gru && ctx.Int("linear_before_reset", 0) != 0;
        bool inputForget = cell == Cell.Lstm && ctx.Int("input_forget", 0) != 0;

        var y = new double[OpTensor.Count([seq, dirs, batch, hidden])];
        var yh = new double[dirs * batch * hidden];
        var yc = new double[dirs * batch * hidden];
        var h = new double[hidden];
        var c = new double[hidden];
        var a = new double[g * hidden];
        var rh = new double[hidden];
        int StateAt(int d, int b) => (batchFirst ? b * dirs + d : d * batch + b) * hidden;
        int XAt(int t, int b) => (batchFirst ? b * seq + t : t * batch + b) * input;
        int YAt(int t, int d, int b) => (batchFirst ? ((b * seq + t) * dirs + d) : ((t * dirs + d) * batch + b)) * hidden;
        double Clip(double v) => v < -clip ? -clip : v > clip ? clip : v;

        for (int d = 0; d < dirs; d++)
        {
            bool reverse = direction == "reverse" || d == 1;
            Func<double, double> f = acts[d * per], gA = per > 1 ? acts[d * per + 1] : f, hA = per > 2 ? acts[d * per + 2] : f;
            int wo = d * g * hidden * input, ro = d * g * hidden * hidden, bo = d * 2 * g * hidden, po = d * 3 * hidden;
            for (int b = 0; b < batch; b++)
            {
                int len = lens is null ? seq : (int)lens[b];
                int so = StateAt(d, b);
                for (int k = 0; k < hidden; k++)
                {
                    h[k] = h0 is null ? 0 : h0[so + k];
                    c[k] = c0 is null ? 0 : c0[so + k];
                }

                for (int step = 0; step < len; step++)
                {
                    int t = reverse ? len - 1 - step : step;
                    int xo = XAt(t, b);

                    // a = W x + Wb (+ R h + Rb, except the GRU hidden gate handled below).
                    for (int k = 0; k < g * hidden; k++)
                    {
                        double s = bias is null ? 0 : bias[bo + k];
                        int wr = wo + k * input;
                        for (int i = 0; i < input; i++) s += w[wr + i] * x[xo + i];
                        bool hiddenGate = cell == Cell.Gru && k >= 2 * hidden;
                        if (!hiddenGate)
                        {
                            if (bias is not null) s += bias[bo + g * hidden + k];
                            int rr = ro + k * hidden;
                            for (int j = 0; j < hidden; j++) s += r[rr + j] * h[j];
                        }

                        a[k] = s;
                    }

                    switch (cell)
                    {
                        case Cell.Rnn:
                            for (int k = 0; k < hidden; k++) h[k] = f(Clip(a[k]));
                            break;
                        case Cell.Gru:
                            {
                                // z = a[0..H), r = a[H..2H), hidden gate a[2H..3H).
                                for (int k = 0; k < 2 * hidden; k++) a[k] = f(Clip(a[k]));
                                for (int k = 0; k < hidden; k++)
                                {
                                    int rr = ro + (2 * hidden + k) * hidden;
                                    double s = bias is null ? 0 : bias[bo + g * hidden + 2 * hidden + k];
                                    if (lbr)
                                    {
                                        for (int j = 0; j < hidden; j++) s += r[rr + j] * h[j];
                                        rh[k] = a[hidden + k] * s;
                                    }
                                    else
                                    {
                                        for (int j = 0; j < hidden; j++) s += r[rr + j] * (a[hidden + j] * h[j]);
                                        rh[k] = s;
                                    }
                                }

                                for (int k = 0; k < hidden; k++)
                                {
                                    double ht = gA(Clip(a[2 * hidden + k] + rh[k]));
                                    double z = a[k];
                                    h[k] = (1 - z) * ht + z * h[k];
                                }

                                break;
                            }

                        default:
                            for (int k = 0; k < hidden; k++)
                            {
                                double pi = peep is null ? 0 : peep[po + k], pOut = peep is null ? 0 : peep[po + hidden + k], pf = peep is null ? 0 : peep[po + 2 * hidden + k];
                                double ig = f(Clip(a[k] + pi * c[k]));
                                double fg = inputForget ? 1 - ig : f(Clip(a[2 * hidden + k] + pf * c[k]));
                                double cc = gA(Clip(a[3 * hidden + k]));
                                double cn = fg * c[k] + ig * cc;
                                double og = f(Clip(a[hidden + k] + pOut * cn));
                                c[k] = cn;
                                h[k] = og * hA(cn);
                            }

                            break;
                    }

                    Array.Copy(h, 0, y, YAt(t, d, b), hidden);
                }

                Array.Copy(h, 0, yh, so, hidden);
                Array.Copy(c, 0, yc, so, hidden);
            }
        }

        TensorElementType type = xt.Type;
        ctx.Set(0, OpTensor.FromDoubles(type, batchFirst ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden], y));
        ctx.Set(1, OpTensor.FromDoubles(type, stateDims, yh));
        if (cell == Cell.Lstm)
        {
            ctx.Set(2, OpTensor.FromDoubles(type, (long[])stateDims.Clone(), yc));
        }
    }

    private static double[]? Optional(OpContext ctx, int i, string name, long[] dims)
    {
        OpTensor? t = ctx.Optional(i);
        if (t is null)
        {
            return null;
        }

        if (!t.Dims.SequenceEqual(dims))
        {
            throw ctx.Fail($"input '{name}' of shape {Dimension.Format(t.Dims)} must be {Dimension.Format(dims)}");
        }

        return NormCommon.Floats(ctx, t, name);
    }

    private static Func<double, double>[] Activations(OpContext ctx, Cell cell, int dirs)
    {
        int per = ActivationCount(cell);
        string[] names = ctx.Node.Attributes.TryGetValue("activations", out NodeAttribute? attr) && attr.StringValues.Count > 0
            ? attr.StringValues.ToArray()
            : DefaultActivations(cell);
        if (names.Length == per && dirs == 2)
        {
            names = [.. names, .. names];
        }

        if (names.Length != per * dirs)
        {
            throw ctx.Fail($"attribute 'activations' has {names.Length} names; expected {per * dirs}");
        }

        float[] alphas = ctx.Floats("activation_alpha") ?? [];
        float[] betas = ctx.Floats("activation_beta") ?? [];
        int ai = 0, bi = 0;
        var result = new Func<double, double>[names.Length];
        for (int n = 0; n < names.Length; n++)
        {
            string name = names[n].ToLowerInvariant();
            bool usesAlpha = name is "affine" or "leakyrelu" or "thresholdedrelu" or "scaledtanh" or "hardsigmoid" or "elu";
            bool usesBeta = name is "affine" or "scaledtanh" or "hardsigmoid";
            double alphaDefault = name switch { "leakyrelu" => 0.01, "hardsigmoid" => 0.2, _ => 1.0 };
            double betaDefault = name switch { "hardsigmoid" => 0.5, "affine" => 0.0, _ => 1.0 };
            double al = usesAlpha && ai < alphas.Length ? alphas[ai++] : alphaDefault;
            double be = usesBeta && bi < betas.Length ? betas[bi++] : betaDefault;
            result[n] = name switch
            {
                "relu" => v => Math.Max(v, 0),
                "tanh" => Math.Tanh,
                "sigmoid" => v => 1 / (1 + Math.Exp(-v)),
                "affine" => v => al * v + be,
                "leakyrelu" => v => v >= 0 ? v : al * v,
                "thresholdedrelu" => v => v > al ? v : 0,
                "scaledtanh" => v => al * Math.Tanh(be * v),
                "hardsigmoid" => v => Math.Max(0, Math.Min(1, al * v + be)),
                "elu" => v => v >= 0 ? v : al * (Math.Exp(v) - 1),
                "softsign" => v => v / (1 + Math.Abs(v)),
                "softplus" => v => Math.Log(1 + Math.Exp(v)),
                _ => throw ctx.Fail($"attribute 'activations' names an unknown function '{names[n]}'"),
            };
        }

        return result;
    }
}
