using LightNet.Onnx;

namespace LightNet.Analysis;

/// <summary>
/// What shape inference knows of one value: its type, its fixed shape and, for small integer tensors
/// (shape arithmetic such as Shape → Gather → Concat → Reshape), its contents.
/// </summary>
internal sealed record InferredValue(TensorElementType Type, long[] Dims, long[]? Constant = null, double[]? FloatValues = null)
{
    /// <summary>Largest integer tensor whose values are carried through inference.</summary>
    public const int MaxConstantElements = 1024;

    public long ElementCount => Shapes.ElementCount(Dims);

    public long ByteCount => Type.SizeInBits() == 0 ? 0 : Type.ByteCount(ElementCount);

    public static InferredValue FromTensor(TensorData t)
    {
        long[]? constant = null;
        if (t.ElementCount <= MaxConstantElements && t.ElementType is TensorElementType.Int64 or TensorElementType.Int32
                or TensorElementType.Int16 or TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.UInt16
                or TensorElementType.UInt32 or TensorElementType.Bool)
        {
            constant = t.ToInt64Array();
        }
        else if (t.ElementCount <= 16 && t.ElementType is TensorElementType.Float or TensorElementType.Double)
        {
            // Small float constants (Resize scales) are kept for the shapes they decide.
            return new InferredValue(t.ElementType, t.Dims.ToArray(), null, t.ToFloatArray().Select(v => (double)v).ToArray());
        }

        return new InferredValue(t.ElementType, t.Dims.ToArray(), constant);
    }
}
