namespace LightNet.Operators.DataMovement;

/// <summary>The DataMovement operator group: one file per operator in this folder.</summary>
internal static class DataMovementOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
        new Compress(),
        new Concat(),
        new Constant(),
        new ConstantOfShape(),
        new DepthToSpace(),
        new Expand(),
        new EyeLike(),
        new Flatten(),
        new Gather(),
        new GatherElements(),
        new GatherND(),
        new Identity(),
        new NonZero(),
        new OneHot(),
        new Pad(),
        new Range(),
        new Reshape(),
        new ReverseSequence(),
        new Scatter(),
        new ScatterElements(),
        new ScatterND(),
        new Shape(),
        new Size(),
        new Slice(),
        new SpaceToDepth(),
        new Split(),
        new Squeeze(),
        new TensorScatter(),
        new Tile(),
        new Transpose(),
        new Trilu(),
        new Unsqueeze(),
    ];
}
