using LightNet.Onnx;

namespace LightNet.Operators.NeuralNet;

/// <summary>
/// Greedy non-maximum suppression per batch and class: [num_selected, 3] int64 (batch, class, box) indices, boxes
/// as corners (center_point_box 0) or center and size (1), optional limit, IoU and score thresholds.
/// </summary>
internal sealed class NonMaxSuppression : OperatorDef
{
    public override string OpType => "NonMaxSuppression";

    public override bool ShapeDependsOnValues => true;

    public override int SinceVersion => 10;

    public override string Types => "float32 boxes and scores";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long cpb = node.GetInt("center_point_box", 0);
        if (cpb is not (0 or 1))
        {
            problems.Add($"attribute 'center_point_box' = {cpb} must be 0 or 1");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor boxesT = ctx.Input(0), scoresT = ctx.Input(1);
        if (boxesT.Rank != 3 || boxesT.Dims[2] != 4 || scoresT.Rank != 3 || scoresT.Dims[0] != boxesT.Dims[0] || scoresT.Dims[2] != boxesT.Dims[1])
        {
            throw ctx.Fail($"boxes {boxesT} must be [batches, boxes, 4] and scores {scoresT} [batches, classes, boxes]");
        }

        long maxOut = ctx.Has(2) && ctx.Input(2).Length > 0 ? ctx.Input(2).GetLong(0) : 0;
        float iouThreshold = ctx.Has(3) && ctx.Input(3).Length > 0 ? (float)ctx.Input(3).GetDouble(0) : 0f;
        float? scoreThreshold = ctx.Has(4) && ctx.Input(4).Length > 0 ? (float)ctx.Input(4).GetDouble(0) : null;
        if (iouThreshold is < 0 or > 1)
        {
            throw ctx.Fail($"iou_threshold {iouThreshold} must be in [0, 1]");
        }

        bool center = ctx.Int("center_point_box", 0) != 0;
        int batches = (int)boxesT.Dims[0], count = (int)boxesT.Dims[1], classes = (int)scoresT.Dims[1];
        float[] boxes = boxesT.ToFloats(), scores = scoresT.ToFloats();
        var selected = new List<long>();
        if (maxOut > 0)
        {
            var corners = new float[boxes.Length];
            for (int i = 0; i < batches * count; i++)
            {
                float a = boxes[i * 4], b = boxes[(i * 4) + 1], c = boxes[(i * 4) + 2], d = boxes[(i * 4) + 3];
                if (center)
                {
                    // [x_center, y_center, width, height] -> [y1, x1, y2, x2]
                    (corners[i * 4], corners[(i * 4) + 1], corners[(i * 4) + 2], corners[(i * 4) + 3]) = (b - (d / 2), a - (c / 2), b + (d / 2), a + (c / 2));
                }
                else
                {
                    (corners[i * 4], corners[(i * 4) + 1], corners[(i * 4) + 2], corners[(i * 4) + 3]) = (Math.Min(a, c), Math.Min(b, d), Math.Max(a, c), Math.Max(b, d));
                }
            }

            var candidates = new List<int>();
            var kept = new List<int>();
            for (int b = 0; b < batches; b++)
            {
                for (int cl = 0; cl < classes; cl++)
                {
                    int sOff = ((b * classes) + cl) * count;
                    candidates.Clear();
                    for (int i = 0; i < count; i++)
                    {
                        if (scoreThreshold is null || scores[sOff + i] > scoreThreshold.Value)
                        {
                            candidates.Add(i);
                        }
                    }

                    candidates.Sort((p, q) => scores[sOff + q].CompareTo(scores[sOff + p]) is int cmp && cmp != 0 ? cmp : p.CompareTo(q));
                    kept.Clear();
                    foreach (int i in candidates)
                    {
                        if (kept.Count >= maxOut)
                        {
                            break;
                        }

                        bool suppressed = false;
                        foreach (int k in kept)
                        {
                            if (Suppress(corners, ((b * count) + i) * 4, ((b * count) + k) * 4, iouThreshold))
                            {
                                suppressed = true;
                                break;
                            }
                        }

                        if (!suppressed)
                        {
                            kept.Add(i);
                            selected.Add(b);
                            selected.Add(cl);
                            selected.Add(i);
                        }
                    }
                }
            }
        }

        ctx.Set(0, OpTensor.FromLongs([selected.Count / 3, 3], selected.ToArray()));
    }

    private static bool Suppress(float[] c, int i, int j, float threshold)
    {
        float yMin = Math.Max(c[i], c[j]), xMin = Math.Max(c[i + 1], c[j + 1]);
        float yMax = Math.Min(c[i + 2], c[j + 2]), xMax = Math.Min(c[i + 3], c[j + 3]);
        if (xMin >= xMax || yMin >= yMax)
        {
            return false;
        }

        float inter = (yMax - yMin) * (xMax - xMin);
        float a1 = (c[i + 2] - c[i]) * (c[i + 3] - c[i + 1]);
        float a2 = (c[j + 2] - c[j]) * (c[j + 3] - c[j + 1]);
        float union = a1 + a2 - inter;
        if (a1 <= 0 || a2 <= 0 || union <= 0)
        {
            return false;
        }

        return inter / union > threshold;
    }
}
