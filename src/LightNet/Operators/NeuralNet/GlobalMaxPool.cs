namespace LightNet.Operators.NeuralNet;

/// <summary>The maximum of each (N, C) plane over all spatial axes.</summary>
internal sealed class GlobalMaxPool : OperatorDef
{
    public override string OpType => "GlobalMaxPool";

    public override void Execute(OpContext ctx) => ctx.Set(0, Pooling.Global(ctx, (x, off, n) =>
    {
        double m = double.NegativeInfinity;
        for (int i = 0; i < n; i++) m = x[off + i] > m || double.IsNaN(x[off + i]) ? x[off + i] : m;
        return m;
    }));
}
