namespace LightNet.Operators.ControlFlow;

/// <summary>The Hamming window 25/46 - 21/46 cos(2πi/N) of a given size (periodic or symmetric).</summary>
internal sealed class HammingWindow : WindowFunction
{
    public override string OpType => "HammingWindow";

    protected override double Value(long i, double n) => (25.0 / 46) - (21.0 / 46 * Math.Cos(2 * Math.PI * i / n));
}
