using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>The shared part of the window operators (HannWindow, HammingWindow, BlackmanWindow): size input, output_datatype and periodic attributes.</summary>
internal abstract class WindowFunction : OperatorDef
{
    public override int SinceVersion => 17;

    public override string Types => "output: float32, float16, float64, integers";

    /// <summary>The window value at sample <paramref name="i"/> with denominator <paramref name="n"/> (size, or size-1 when symmetric).</summary>
    protected abstract double Value(long i, double n);

    public override void Validate(Node node, long opset, List<string> problems)
    {
        long type = node.GetInt("output_datatype", 1);
        if (!OpTensor.IsSupported((TensorElementType)type) || type == (long)TensorElementType.String)
        {
            problems.Add($"attribute 'output_datatype' = {type} is not a supported numeric type");
        }
    }

    public override void Execute(OpContext ctx)
    {
        long size = ctx.OptionalInts(0) is { Length: 1 } s ? s[0] : throw ctx.Fail("size must be an integer scalar");
        if (size < 0)
        {
            throw ctx.Fail($"size {size} must not be negative");
        }

        var values = new double[OpTensor.Count([size])];
        double n = ctx.Int("periodic", 1) != 0 ? size : size - 1;
        for (long i = 0; i < size; i++)
        {
            values[i] = Value(i, n);
        }

        ctx.Set(0, OpTensor.FromDoubles((TensorElementType)ctx.Int("output_datatype", 1), [size], values));
    }
}
