namespace LightNet.Operators.NeuralNet;

/// <summary>The mean of each (N, C) plane over all spatial axes.</summary>
internal sealed class GlobalAveragePool : OperatorDef
{
    public override string OpType => "GlobalAveragePool";

    public override void Execute(OpContext ctx) => ctx.Set(0, Pooling.Global(ctx, (x, off, n) =>
    {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[off + i];
        return n == 0 ? double.NaN : s / n;
    }));
}
