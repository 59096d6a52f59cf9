using LightNet.Onnx;

namespace LightNet.Engine;

/// <summary>
/// Limits of the compiled fast path that several operators share (2-D kernels, auto_pad values, pooling outputs);
/// each operator's <c>ValidateCompiled</c> in src/LightNet/Operators names the ones that apply to it.
/// </summary>
internal static class CompiledLimits
{
    /// <summary>auto_pad must be one of the four ONNX values.</summary>
    public static void AutoPad(Node n, Action<string, string> problem)
    {
        string autoPad = n.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
        {
            problem("auto_pad", $"= '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        }
    }

    /// <summary>A kernel_shape attribute, when given, must be 2-D.</summary>
    public static void TwoDimensional(Node n, string what, Action<string, string> problem)
    {
        if (n.GetInts("kernel_shape") is { Count: not 2 } ks)
        {
            problem("kernel_shape", $"has {ks.Count} dimensions; only 2-D {what} is compiled");
        }
    }

    /// <summary>MaxPool/AveragePool: 2-D, row-major, no Indices output.</summary>
    public static void Pooling(Node n, Action<string, string> problem)
    {
        TwoDimensional(n, "pooling", problem);
        if (n.GetInt("storage_order", 0) != 0)
        {
            problem("storage_order", "= 1 (column-major indices) is not compiled");
        }

        if (n.Outputs.Count > 1 && n.Outputs[1].Length > 0)
        {
            problem("Indices", "(the second output) is not compiled");
        }

        AutoPad(n, problem);
    }

    /// <summary>QuantizeLinear/DequantizeLinear: per-tensor or per-axis only.</summary>
    public static void NotBlocked(Node n, Action<string, string> problem)
    {
        if (n.GetInt("block_size", 0) != 0)
        {
            problem("block_size", "(blocked quantization) is not compiled");
        }
    }
}
