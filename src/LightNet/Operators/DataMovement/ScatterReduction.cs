using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>The reduction of ScatterElements and ScatterND: none (overwrite), add, mul, max, min.</summary>
internal static class ScatterReduction
{
    public static void Validate(Node node, List<string> problems)
    {
        string r = node.GetString("reduction", "none");
        if (r is not ("none" or "add" or "mul" or "max" or "min"))
        {
            problems.Add($"attribute 'reduction' = '{r}' is not one of none, add, mul, max, min");
        }
    }

    /// <summary>Writes updates[u] into y[target] with the node's reduction.</summary>
    public static Action<int, int> Writer(OpContext ctx, Array y, OpTensor updates)
    {
        string reduction = ctx.String("reduction", "none");
        if (reduction == "none")
        {
            return (target, u) => Array.Copy(updates.Data, u, y, target, 1);
        }

        if (updates.Type is TensorElementType.String or TensorElementType.Bool)
        {
            throw ctx.Unsupported($"reduction '{reduction}' on {updates.Type} values");
        }

        Func<double, double, double> f = reduction switch
        {
            "add" => (a, b) => a + b,
            "mul" => (a, b) => a * b,
            "max" => Math.Max,
            _ => Math.Min,
        };
        var view = new OpTensor(updates.Type, [y.Length], y);
        return (target, u) =>
        {
            double v = f(view.GetDouble(target), updates.GetDouble(u));
            Array.Copy(OpTensor.FromDoubles(updates.Type, [1], [v]).Data, 0, y, target, 1);
        };
    }
}
