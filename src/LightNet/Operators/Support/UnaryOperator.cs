namespace LightNet.Operators.Support;

/// <summary>
/// An element-wise operator of one input and no attributes beyond those its function reads. Float types compute
/// in double; integer types use the integer functions when the operator defines them.
/// </summary>
internal abstract class UnaryOperator : OperatorDef
{
    /// <summary>The float function of the node (attributes read from <paramref name="ctx"/>).</summary>
    protected abstract Func<double, double> Function(OpContext ctx);

    /// <summary>The signed-integer function, or null when the operator is float-only.</summary>
    protected virtual Func<long, long>? IntegerFunction(OpContext ctx) => null;

    /// <summary>The unsigned-integer function, or null.</summary>
    protected virtual Func<ulong, ulong>? UnsignedFunction(OpContext ctx) => null;

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, Pointwise.Unary(ctx, ctx.Input(0), Function(ctx), IntegerFunction(ctx), UnsignedFunction(ctx)));
}

/// <summary>An element-wise operator of two broadcast inputs of one type.</summary>
internal abstract class BinaryOperator : OperatorDef
{
    protected abstract Func<double, double, double> Function(OpContext ctx);

    protected virtual Func<long, long, long>? IntegerFunction(OpContext ctx) => null;

    protected virtual Func<ulong, ulong, ulong>? UnsignedFunction(OpContext ctx) => null;

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, Pointwise.Binary(ctx, ctx.Input(0), ctx.Input(1), Function(ctx), IntegerFunction(ctx), UnsignedFunction(ctx)));
}

/// <summary>A comparison of two broadcast inputs, with a bool output.</summary>
internal abstract class ComparisonOperator : OperatorDef
{
    public override string Types => "all numeric, bool, string";

    protected abstract bool Compare(int sign);

    public override void Execute(OpContext ctx) =>
        ctx.Set(0, Pointwise.Compare(ctx, ctx.Input(0), ctx.Input(1),
            (a, b) => !double.IsNaN(a) && !double.IsNaN(b) && Compare(a.CompareTo(b)),
            (a, b) => Compare(a.CompareTo(b)),
            (a, b) => Compare(a.CompareTo(b))));
}
