using LightNet.Onnx;

namespace LightNet.Engine;

/// <summary>
/// Checks, before anything is compiled, that every node of a graph is an operator with attribute values the
/// engine runs, and lists every problem at once (op, node, opset, attribute).
/// </summary>
internal static class SupportCheck
{
    /// <summary>The ONNX operators (default domain) the engine accepts.</summary>
    public static readonly IReadOnlySet<string> Operators = new HashSet<string>(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "BatchNormalization", "Relu", "Clip", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid",
        "HardSwish", "Tanh", "Add", "Sub", "Mul", "Div", "Sum", "Concat", "Split", "Slice", "MaxPool", "AveragePool",
        "GlobalAveragePool", "GlobalMaxPool", "Gemm", "MatMul", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
        "Softmax", "LogSoftmax", "LRN", "Dropout", "Identity", "Constant", "ConstantOfShape", "Shape", "Gather", "Cast",
        "Pad", "Resize", "ReduceMean", "QuantizeLinear", "DequantizeLinear",
    };

    /// <summary>Throws <see cref="ErrorCode.UnsupportedOperator"/> listing every unsupported op or attribute value.</summary>
    public static void Validate(Graph graph, long opset, string modelName, string target = "cpu-simd")
    {
        var problems = new List<string>();
        foreach (Node n in graph.Nodes)
        {
            string where = $"{n.OpType} node '{(n.Name.Length > 0 ? n.Name : "#" + n.Index)}' (opset {opset})";
            void Problem(string attribute, string detail) => problems.Add($"{where}: attribute '{attribute}' {detail}");
            if (n.Domain is not ("" or "ai.onnx"))
            {
                problems.Add($"{where}: operator domain '{n.Domain}' is not supported");
                continue;
            }

            if (!Operators.Contains(n.OpType))
            {
                problems.Add($"{where}: operator '{n.OpType}' is not supported");
                continue;
            }

            try
            {
                CheckAttributes(n, Problem);
            }
            catch (LightNetException e)
            {
                problems.Add($"{where}: {e.Message}");
            }
        }

        if (opset is < 7 or > 21)
        {
            problems.Insert(0, $"model opset {opset} is outside the supported range 7 to 21");
        }

        if (problems.Count > 0)
        {
            throw LightNet.Operators.UnsupportedGraph.Exception(target, modelName, problems);
        }
    }

    private static void CheckAttributes(Node n, Action<string, string> problem)
    {
        switch (n.OpType)
        {
            case "Conv" or "ConvTranspose":
            {
                string autoPad = n.GetString("auto_pad", "NOTSET");
                if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
                {
                    problem("auto_pad", $"= '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
                }

                if (n.GetInts("kernel_shape") is { Count: not 2 } ks)
                {
                    problem("kernel_shape", $"has {ks.Count} dimensions; only 2-D convolution is supported");
                }

                break;
            }

            case "MaxPool" or "AveragePool":
                if (n.GetInts("kernel_shape") is { Count: not 2 } pk)
                {
                    problem("kernel_shape", $"has {pk.Count} dimensions; only 2-D pooling is supported");
                }

                if (n.GetInt("storage_order", 0) != 0)
                {
                    problem("storage_order", "= 1 (column-major indices) is not supported");
                }

                if (n.Outputs.Count > 1 && n.Outputs[1].Length > 0)
                {
                    problem("Indices", "(the second output) is not supported");
                }

                string pad = n.GetString("auto_pad", "NOTSET");
                if (pad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
                {
                    problem("auto_pad", $"= '{pad}' is not supported");
                }

                break;
            case "BatchNormalization":
                // Training mode normalises with the batch's own statistics and updates the running ones: not inference.
                if (n.GetInt("training_mode", 0) != 0)
                {
                    problem("training_mode", "= 1 (training mode: batch statistics, running mean/variance outputs) is not supported; export the model in inference mode");
                }
                else if (n.Outputs.Skip(1).Any(o => o.Length > 0))
                {
                    // Before opset 14 the extra outputs are what asks for training mode (there is no attribute to name).
                    throw new LightNetException(ErrorCode.UnsupportedOperator,
                        $"outputs after Y ({string.Join(", ", n.Outputs.Skip(1).Where(o => o.Length > 0).Select(o => $"'{o}'"))}) are training-mode running mean/variance statistics; only inference mode (output Y alone) is supported");
                }

                break;
            case "Gemm":
                if (n.GetInt("transA", 0) != 0)
                {
                    problem("transA", "= 1 is not supported");
                }

                break;
            case "Pad":
            {
                string mode = n.GetString("mode", "constant");
                if (mode is not ("constant" or "reflect" or "edge"))
                {
                    problem("mode", $"= '{mode}' is not supported (constant, reflect, edge)");
                }

                break;
            }

            case "Resize":
            {
                string mode = n.GetString("mode", "nearest");
                if (mode is not ("nearest" or "linear"))
                {
                    problem("mode", $"= '{mode}' is not supported (nearest, linear)");
                }

                if (n.GetInt("antialias", 0) != 0)
                {
                    problem("antialias", "= 1 is not supported");
                }

                if (n.GetString("keep_aspect_ratio_policy", "stretch") != "stretch")
                {
                    problem("keep_aspect_ratio_policy", "other than 'stretch' is not supported");
                }

                string ctm = n.GetString("coordinate_transformation_mode", "half_pixel");
                if (ctm is "tf_crop_and_resize")
                {
                    problem("coordinate_transformation_mode", $"= '{ctm}' is not supported");
                }

                break;
            }

            case "LRN":
                if (n.GetInt("size", 0) <= 0)
                {
                    problem("size", "must be a positive integer");
                }

                break;
            case "Cast":
            {
                var to = (TensorElementType)n.GetInt("to", 0);
                if (to is TensorElementType.String or TensorElementType.Undefined)
                {
                    problem("to", $"= {to} is not supported");
                }

                break;
            }

            case "QuantizeLinear" or "DequantizeLinear":
                if (n.GetInt("block_size", 0) != 0)
                {
                    problem("block_size", "(blocked quantization) is not supported");
                }

                break;
        }
    }
}
