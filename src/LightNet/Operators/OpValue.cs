using LightNet.Onnx;

namespace LightNet.Operators;

/// <summary>A run-time value of the operator layer: a tensor or a sequence of tensors.</summary>
internal abstract class OpValue
{
    /// <summary>"tensor" or "sequence", for messages.</summary>
    public string Kind => this is OpSequence ? "sequence" : "tensor";
}

/// <summary>An ONNX sequence value: tensors of one element type.</summary>
internal sealed class OpSequence(TensorElementType elementType, List<OpTensor> items) : OpValue
{
    public TensorElementType ElementType { get; } = elementType;

    public List<OpTensor> Items { get; } = items;

    public override string ToString() => $"sequence<{ElementType}>[{Items.Count}]";
}
