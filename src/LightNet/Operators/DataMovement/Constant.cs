using LightNet.Onnx;

namespace LightNet.Operators.DataMovement;

/// <summary>A constant tensor from one of the value attributes (value, value_float(s), value_int(s), value_string(s)).</summary>
internal sealed class Constant : OperatorDef
{
    public override string OpType => "Constant";

    public override string Types => "all";

    public override string Limitations => "sparse_value is not supported";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        int count = new[] { "value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings", "sparse_value" }
            .Count(node.Attributes.ContainsKey);
        if (count != 1)
        {
            problems.Add($"exactly one value attribute must be set ({count} are)");
        }

        if (node.Attributes.ContainsKey("sparse_value"))
        {
            problems.Add("attribute 'sparse_value' (a sparse constant) is not supported");
        }
    }

    public override void Execute(OpContext ctx)
    {
        Node n = ctx.Node;
        OpTensor result;
        if (n.GetTensor("value") is { } t)
        {
            result = OpTensor.FromTensorData(t);
        }
        else if (n.Attributes.TryGetValue("value_float", out NodeAttribute? f))
        {
            result = new OpTensor(TensorElementType.Float, [], new[] { f.FloatValue });
        }
        else if (n.Attributes.TryGetValue("value_floats", out NodeAttribute? fs))
        {
            result = new OpTensor(TensorElementType.Float, [fs.FloatValues.Count], fs.FloatValues.ToArray());
        }
        else if (n.Attributes.TryGetValue("value_int", out NodeAttribute? i))
        {
            result = new OpTensor(TensorElementType.Int64, [], new[] { i.IntValue });
        }
        else if (n.Attributes.TryGetValue("value_ints", out NodeAttribute? @is))
        {
            result = new OpTensor(TensorElementType.Int64, [@is.IntValues.Count], @is.IntValues.ToArray());
        }
        else if (n.Attributes.TryGetValue("value_string", out NodeAttribute? s))
        {
            result = new OpTensor(TensorElementType.String, [], new[] { s.StringValue ?? "" });
        }
        else if (n.Attributes.TryGetValue("value_strings", out NodeAttribute? ss))
        {
            result = new OpTensor(TensorElementType.String, [ss.StringValues.Count], ss.StringValues.ToArray());
        }
        else
        {
            throw ctx.Fail("no value attribute is set");
        }

        ctx.Set(0, result);
    }
}
