namespace LightNet.Operators.Reduction;

/// <summary>The Reduction operator group: one file per operator in this folder.</summary>
internal static class ReductionOperators
{
    /// <summary>Every operator of the group.</summary>
    public static OperatorDef[] All =>
    [
    ];
}
