namespace LightNet.Onnx;

/// <summary>A named tensor value of a graph (an input, an output or an intermediate) with its type and shape.</summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="ElementType">The element type, or <see cref="TensorElementType.Undefined"/> when not declared.</param>
/// <param name="Shape">The declared dimensions, or null when the rank is not declared.</param>
public sealed record ValueInfo(string Name, TensorElementType ElementType, IReadOnlyList<Dimension>? Shape)
{
    /// <summary>True when every dimension has a fixed size.</summary>
    public bool HasFixedShape => Shape is not null && Shape.All(d => d.IsFixed);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {ElementType} {(Shape is null ? "[?]" : Dimension.Format(Shape))}";
}
