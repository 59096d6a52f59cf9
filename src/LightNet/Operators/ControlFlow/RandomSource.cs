using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Random numbers for the random operators: reproducible from the 'seed' attribute when it is set.</summary>
internal static class RandomSource
{
    /// <summary>A generator seeded from the node's 'seed' attribute, or from the system when absent.</summary>
    public static Random For(OpContext ctx) =>
        ctx.HasAttribute("seed") ? new Random(BitConverter.SingleToInt32Bits(ctx.Float("seed", 0))) : new Random();

    /// <summary>A standard normal sample (Box-Muller).</summary>
    public static double Normal(Random r)
    {
        double u1 = 1.0 - r.NextDouble();
        double u2 = r.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Checks that a 'dtype' attribute names a floating-point type, adding a problem otherwise.</summary>
    public static void ValidateFloatType(Node node, string name, List<string> problems)
    {
        if (node.Attributes.ContainsKey(name))
        {
            var t = (TensorElementType)node.GetInt(name, 1);
            if (t is not TensorElementType.Float and not TensorElementType.Double and not TensorElementType.Float16 and not TensorElementType.BFloat16)
            {
                problems.Add($"attribute '{name}' = {(long)t} must name a floating-point type");
            }
        }
    }

    /// <summary>The 'shape' attribute of RandomNormal/RandomUniform.</summary>
    public static long[] ShapeAttribute(OpContext ctx) => ctx.Ints("shape") ?? throw ctx.Fail("attribute 'shape' is required");
}
