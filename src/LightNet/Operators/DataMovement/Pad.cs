using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>Pads (or crops, with negative pads) in constant, reflect, edge or wrap mode; pads as an attribute before opset 11, an input after, with optional axes (opset 18).</summary>
internal sealed class Pad : OperatorDef
{
    public override string OpType => "Pad";

    public override string Types => "all numeric and bool";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        string mode = node.GetString("mode", "constant");
        if (mode is not ("constant" or "reflect" or "edge" or "wrap"))
        {
            problems.Add($"attribute 'mode' = '{mode}' is not one of constant, reflect, edge, wrap");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        int rank = x.Rank;
        string mode = ctx.String("mode", "constant");
        long[] given = ctx.Opset < 11 ? ctx.Ints("pads") ?? ctx.Ints("paddings") ?? throw ctx.Fail("attribute 'pads' is required")
            : ctx.OptionalInts(1) ?? throw ctx.Fail("input 'pads' is required");
        long[]? axesIn = ctx.Opset >= 18 ? ctx.OptionalInts(3) : null;
        int[] axes = axesIn is null ? Enumerable.Range(0, rank).ToArray() : axesIn.Select(a => ctx.Axis(a, rank)).ToArray();
        if (given.Length != 2 * axes.Length)
        {
            throw ctx.Fail($"pads {Dimension.Format(given)} must have {2 * axes.Length} values");
        }

        long[] begin = new long[rank], end = new long[rank];
        for (int i = 0; i < axes.Length; i++)
        {
            begin[axes[i]] = given[i];
            end[axes[i]] = given[i + axes.Length];
        }

        long[] dims = x.Dims.Select((d, i) => d + begin[i] + end[i]).ToArray();
        if (dims.Any(d => d < 0))
        {
            throw ctx.Fail($"pads {Dimension.Format(given)} crop {x} below zero");
        }

        OpTensor fill = OpTensor.Zeros(x.Type, [1]);
        if (ctx.Opset < 11)
        {
            fill = OpTensor.FromDoubles(x.Type, [1], [ctx.Float("value", 0f)]);
        }
        else if (ctx.Optional(2) is { Length: > 0 } v)
        {
            fill = v.Gather([1], [0]);
        }

        int n = OpTensor.Count(dims);
        long[] strides = Indexing.Strides(x.Dims);
        var coords = new long[rank];
        var offsets = new int[n];
        var constant = new bool[n];
        bool anyConstant = false;
        for (int i = 0; i < n; i++)
        {
            Indexing.Unravel(i, dims, coords);
            long off = 0;
            bool outside = false;
            for (int d = 0; d < rank; d++)
            {
                long c = coords[d] - begin[d], size = x.Dims[d];
                if (c < 0 || c >= size)
                {
                    if (mode == "constant" || size == 0)
                    {
                        outside = true;
                        break;
                    }

                    c = mode switch
                    {
                        "edge" => Math.Clamp(c, 0, size - 1),
                        "wrap" => ((c % size) + size) % size,
                        _ => Reflect(c, size),
                    };
                }

                off += c * strides[d];
            }

            if (outside)
            {
                constant[i] = true;
                anyConstant = true;
            }
            else
            {
                offsets[i] = (int)off;
            }
        }

        if (x.Length == 0 && !anyConstant && n > 0)
        {
            throw ctx.Fail($"mode '{mode}' cannot pad an empty input");
        }

        Array y = OpTensor.Allocate(x.Type, n);
        if (x.Length > 0)
        {
            OpTensor.GatherInto(x.Data, y, offsets);
        }

        for (int i = 0; anyConstant && i < n; i++)
        {
            if (constant[i]) Array.Copy(fill.Data, 0, y, i, 1);
        }

        ctx.Set(0, new OpTensor(x.Type, dims, y));
    }

    private static long Reflect(long c, long size)
    {
        if (size == 1)
        {
            return 0;
        }

        long period = 2 * (size - 1);
        c = ((c % period) + period) % period;
        return c < size ? c : period - c;
    }
}
