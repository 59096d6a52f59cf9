namespace LightNet.Operators.NeuralNet;

/// <summary>(sum |x|^p)^(1/p) of each (N, C) plane over all spatial axes.</summary>
internal sealed class GlobalLpPool : OperatorDef
{
    public override string OpType => "GlobalLpPool";

    public override void Execute(OpContext ctx)
    {
        double p = LpPool.P(ctx);
        ctx.Set(0, Pooling.Global(ctx, (x, off, n) =>
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += Math.Pow(Math.Abs(x[off + i]), p);
            return Math.Pow(s, 1 / p);
        }));
    }
}
