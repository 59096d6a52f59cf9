namespace LightNet.Operators.Reduction;

/// <summary>The int64 index of the smallest element along an axis (first or last of ties by select_last_index).</summary>
internal sealed class ArgMin : ArgReduce
{
    public override string OpType => "ArgMin";

    protected override bool Largest => false;
}
