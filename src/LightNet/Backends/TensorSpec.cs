using LightNet.Onnx;

namespace LightNet.Backends;

/// <summary>The name, element type and shape of a session input or output, as the backend sees it.</summary>
/// <param name="Name">Value name.</param>
/// <param name="ElementType">Element type.</param>
/// <param name="Shape">Dimensions; symbolic or unknown ones where the model leaves them open.</param>
public sealed record TensorSpec(string Name, TensorElementType ElementType, IReadOnlyList<Dimension> Shape)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}: {ElementType} {Dimension.Format(Shape)}";
}
