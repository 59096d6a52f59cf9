using LightNet.Onnx;
using LightNet.Operators.Support;

namespace LightNet.Operators.Quantization;

/// <summary>Quantized convolution: y = saturate(round((conv(x - x_zp, w - w_zp) + B) * x_scale * w_scale / y_scale) + y_zp).</summary>
internal sealed class QLinearConv : OperatorDef
{
    public override string OpType => "QLinearConv";

    public override long Macs(Node node, IReadOnlyList<long[]?> inputs, IReadOnlyList<long[]?> outputs) =>
        MacCount.Convolution(MacCount.At(inputs, 3), MacCount.At(outputs, 0));

    public override int SinceVersion => 10;

    /// <summary>The compiled path runs it as an integer convolution when its input is codes of an integer operator (GraphOptimizer.Quantized.cs).</summary>
    public override bool Compiled => true;

    public override void ValidateCompiled(Node n, long opset, Action<string, string> problem)
    {
        Engine.CompiledLimits.AutoPad(n, problem);
        Engine.CompiledLimits.TwoDimensional(n, "convolution", problem);
    }

    public override string Types => "x, w, y: uint8, int8; scales: float32; B: int32";

    public override string Limitations => "the rescaling is done in float32 as ONNX Runtime does";

    public override void Validate(Node node, long opset, List<string> problems) => IntegerConvolution.Validate(node, problems);

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0), xScale = ctx.Input(1), w = ctx.Input(3), wScale = ctx.Input(4), yScale = ctx.Input(6);
        OpTensor? xZp = ctx.Optional(2), wZp = ctx.Optional(5), yZp = ctx.Optional(7), bias = ctx.Optional(8);
        TensorElementType outType = yZp?.Type ?? TensorElementType.UInt8;
        if (outType is not (TensorElementType.UInt8 or TensorElementType.Int8))
        {
            throw ctx.Fail($"y_zero_point is {outType}; it must be uint8 or int8");
        }

        if (xScale.Length != 1 || yScale.Length != 1 || xZp is { Length: not 1 } || yZp is { Length: not 1 })
        {
            throw ctx.Fail("x_scale, x_zero_point, y_scale and y_zero_point must be scalars");
        }

        if (!xScale.IsFloat || !wScale.IsFloat || !yScale.IsFloat)
        {
            throw ctx.Fail("the scales must hold floating-point values");
        }

        long maps = w.Rank > 0 ? w.Dims[0] : 0;
        if (wScale.Length != 1 && (wScale.Rank != 1 || wScale.Length != maps))
        {
            throw ctx.Fail($"w_scale {Dimension.Format(wScale.Dims)} must be a scalar or one per output channel ({maps})");
        }

        if (bias is not null && (bias.Type != TensorElementType.Int32 || bias.Rank != 1 || bias.Length != maps))
        {
            throw ctx.Fail($"B {bias} must be int32 with one value per output channel ({maps})");
        }

        int[] xc = IntegerConvolution.Centered(ctx, x, xZp, "x", perChannel: false);
        int[] wc = IntegerConvolution.Centered(ctx, w, wZp, "w", perChannel: true);
        (long[] dims, int[] acc) = IntegerConvolution.Run(ctx, xc, x.Dims, wc, w.Dims);
        float[] ws = ElementConversion.Floats(wScale);
        float xs = ElementConversion.Floats(xScale)[0], ys = ElementConversion.Floats(yScale)[0];
        int[]? b = bias?.Get<int>();
        long zy = yZp is null ? 0 : ElementConversion.Longs(yZp)[0];
        (long min, long max) = QuantizationParameters.Range(outType);
        int plane = (int)(dims.Length > 2 ? OpTensor.Count(dims[2..]) : 1);
        var y = new long[acc.Length];
        for (int i = 0; i < y.Length; i++)
        {
            int m = (int)(i / plane % maps);
            float multiplier = xs * ws[ws.Length == 1 ? 0 : m] / ys;
            int sum = unchecked(acc[i] + (b?[m] ?? 0));
            y[i] = QuantizationParameters.Saturate((float)sum * multiplier, zy, min, max);
        }

        ctx.Set(0, OpTensor.FromLongs(outType, dims, y));
    }
}
