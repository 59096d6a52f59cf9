namespace LightNet.Operators.DataMovement;

/// <summary>The DataMovement operator group: one file per operator in this folder.</summary>
internal static class DataMovementOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
    ];
}
