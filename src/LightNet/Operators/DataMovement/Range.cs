using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>start, start + delta, ... up to (not including) limit; ceil((limit - start) / delta) elements.</summary>
internal sealed class Range : OperatorDef
{
    public override string OpType => "Range";

    public override string Types => "float32, float64, int16, int32, int64";

    public override void Execute(OpContext ctx)
    {
        OpTensor start = ctx.Input(0), limit = ctx.Input(1), delta = ctx.Input(2);
        if (start.Length != 1 || limit.Length != 1 || delta.Length != 1)
        {
            throw ctx.Fail("start, limit and delta must be scalars");
        }

        if (start.IsFloat)
        {
            double s = start.GetDouble(0), l = limit.GetDouble(0), d = delta.GetDouble(0);
            if (d == 0) throw ctx.Fail("delta is zero");
            long n = Math.Max(0, (long)Math.Ceiling((l - s) / d));
            var v = new double[OpTensor.Count([n])];
            for (int i = 0; i < v.Length; i++) v[i] = s + (i * d);
            ctx.Set(0, OpTensor.FromDoubles(start.Type, [n], v));
            return;
        }

        long si = start.GetLong(0), li = limit.GetLong(0), di = delta.GetLong(0);
        if (di == 0) throw ctx.Fail("delta is zero");
        long count = Math.Max(0, (long)Math.Ceiling((li - (double)si) / di));
        var r = new long[OpTensor.Count([count])];
        for (int i = 0; i < r.Length; i++) r[i] = si + (i * di);
        ctx.Set(0, OpTensor.FromLongs(start.Type, [count], r));
    }
}
