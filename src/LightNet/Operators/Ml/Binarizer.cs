namespace LightNet.Operators.Ml;

/// <summary>ai.onnx.ml Binarizer: 1 where x exceeds the threshold, else 0, in x's type.</summary>
internal sealed class Binarizer : OperatorDef
{
    public override string OpType => "Binarizer";

    public override string Domain => "ai.onnx.ml";

    public override string Types => "float32, float64, int32, int64";

    public override void Execute(OpContext ctx)
    {
        double threshold = ctx.Float("threshold", 0f);
        OpTensor x = ctx.Input(0);
        double[] v = x.ToDoubles();
        var y = new double[v.Length];
        for (int i = 0; i < y.Length; i++) y[i] = v[i] > threshold ? 1 : 0;
        ctx.Set(0, OpTensor.FromDoubles(x.Type, x.Dims, y));
    }
}
