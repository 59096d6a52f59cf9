namespace LightNet.Operators.Reduction;

/// <summary>The int64 index of the largest element along an axis (first or last of ties by select_last_index).</summary>
internal sealed class ArgMax : ArgReduce
{
    public override string OpType => "ArgMax";

    protected override bool Largest => true;
}
