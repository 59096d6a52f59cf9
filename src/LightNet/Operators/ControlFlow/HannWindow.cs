namespace LightNet.Operators.ControlFlow;

/// <summary>The Hann window 0.5 - 0.5 cos(2πi/N) of a given size (periodic or symmetric).</summary>
internal sealed class HannWindow : WindowFunction
{
    public override string OpType => "HannWindow";

    protected override double Value(long i, double n) => 0.5 - (0.5 * Math.Cos(2 * Math.PI * i / n));
}
