using LightNet.Onnx;

namespace LightNet.Operators.Support;

/// <summary>The multiply-accumulate formulas the operators' <see cref="OperatorDef.Macs"/> share.</summary>
internal static class MacCount
{
    /// <summary>A matrix product: every output element takes K products, K the last dimension of A.</summary>
    public static long MatrixProduct(long[]? a, long[]? y) =>
        a is null || y is null || a.Length == 0 ? 0 : checked(Shapes.ElementCount(y) * a[^1]);

    /// <summary>A convolution: every output element takes (input channels / group) × kernel area products; W is [Cout, Cin/group, k...].</summary>
    public static long Convolution(long[]? w, long[]? y) =>
        w is null || y is null || w.Length < 2 ? 0 : checked(Shapes.ElementCount(y) * Shapes.ElementCount(w.AsSpan(1)));

    /// <summary>A transposed convolution: every input element meets (output channels / group) × kernel area weights; W is [Cin, Cout/group, k...].</summary>
    public static long TransposedConvolution(long[]? x, long[]? w) =>
        x is null || w is null || w.Length < 2 ? 0 : checked(Shapes.ElementCount(x) * Shapes.ElementCount(w.AsSpan(1)));

    /// <summary>The shape at <paramref name="index"/>, or null.</summary>
    public static long[]? At(IReadOnlyList<long[]?> shapes, int index) => index < shapes.Count ? shapes[index] : null;
}
