using LightNet.Onnx;
using LightNet.Operators;

namespace LightNet.Analysis;

/// <summary>
/// Static shape inference for the operators <see cref="ShapeInference"/> has no rule for: the operator's registry
/// entry runs on its inputs as far as they are known (constant values where shape inference carried them,
/// placeholders of the right shape for float data), and the outputs' types and shapes are read back. Refused (null)
/// when an integer or bool input's values are unknown (they may decide the shape), when the operator's shape depends
/// on data values, for subgraph operators, when the operator's own checks refuse the node's attributes, and when the placeholders would be too large to build.
/// </summary>
internal static class RegistryShapeInference
{
    /// <summary>Largest total element count of placeholder inputs (keeps analysis cheap).</summary>
    private const long MaxPlaceholderElements = 1L << 24;

    public static InferredValue[]? TryInfer(Node node, long opset, Func<string, InferredValue?> lookup)
    {
        OperatorDef? op = OperatorRegistry.Find(node.Domain, node.OpType);
        if (op is null || node.Attributes.Values.Any(a => a.Kind is AttributeKind.Graph or AttributeKind.Graphs))
        {
            return null;
        }

        // The operator's own attribute checks first: Execute trusts them (a Loop without its body graph is not a subgraph operator here).
        var problems = new List<string>();
        op.Validate(node, opset, problems);
        if (problems.Count > 0)
        {
            return null;
        }

        var inputs = new OpValue?[node.Inputs.Count];
        long placeholderElements = 0;
        bool allKnown = true;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (node.Inputs[i].Length == 0)
            {
                continue;
            }

            InferredValue? v = lookup(node.Inputs[i]);
            if (v is null || !OpTensor.IsSupported(v.Type))
            {
                return null;
            }

            OpTensor? known = Known(v);
            if (known is null)
            {
                allKnown = false;
                placeholderElements += v.ElementCount;
                if (!v.Type.IsFloatingPoint() || op.ShapeDependsOnValues || placeholderElements > MaxPlaceholderElements)
                {
                    return null;
                }

                known = OpTensor.Zeros(v.Type, v.Dims);
            }

            inputs[i] = known;
        }

        var ctx = new OpContext(node, opset, inputs);
        try
        {
            op.Execute(ctx);
        }
        catch (LightNetException)
        {
            // Placeholder values can make an operator refuse (a zero scale, an empty set); the caller falls back to
            // the shapes the model declares.
            return null;
        }

        var result = new InferredValue[node.Outputs.Count];
        for (int i = 0; i < result.Length; i++)
        {
            if (ctx.Outputs[i] is not OpTensor t)
            {
                if (node.Outputs[i].Length > 0)
                {
                    return null;
                }

                result[i] = new InferredValue(TensorElementType.Undefined, []);
                continue;
            }

            bool carry = allKnown && !t.IsFloat && t.Type != TensorElementType.String && t.Length <= InferredValue.MaxConstantElements;
            result[i] = new InferredValue(t.Type, t.Dims, carry ? t.ToLongs() : null);
        }

        return result;
    }

    private static OpTensor? Known(InferredValue v)
    {
        if (v.Constant is { } c && c.Length == v.ElementCount)
        {
            return OpTensor.FromLongs(v.Type, v.Dims, c);
        }

        if (v.FloatValues is { } f && f.Length == v.ElementCount)
        {
            return OpTensor.FromDoubles(v.Type, v.Dims, f);
        }

        return null;
    }
}
