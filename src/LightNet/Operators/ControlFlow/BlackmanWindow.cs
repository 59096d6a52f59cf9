namespace LightNet.Operators.ControlFlow;

/// <summary>The Blackman window 0.42 - 0.5 cos(2πi/N) + 0.08 cos(4πi/N) of a given size (periodic or symmetric).</summary>
internal sealed class BlackmanWindow : WindowFunction
{
    public override string OpType => "BlackmanWindow";

    protected override double Value(long i, double n) =>
        0.42 - (0.5 * Math.Cos(2 * Math.PI * i / n)) + (0.08 * Math.Cos(4 * Math.PI * i / n));
}
