namespace LightNet.Operators.ControlFlow;

/// <summary>The ControlFlow operator group: one file per operator in this folder.</summary>
internal static class ControlFlowOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
    ];
}
