namespace LightNet.Engine.Kernels;

/// <summary>
/// A compile-time count as a type argument (a micro-kernel tile's rows, a tile's output blocks): each count gets its
/// own code, and the JIT drops the branches a constant count rules out.
/// </summary>
internal interface ICount
{
    /// <summary>The count.</summary>
    static abstract int Count { get; }
}

/// <summary>1.</summary>
internal readonly struct Count1 : ICount
{
    /// <inheritdoc />
    public static int Count => 1;
}

/// <summary>2.</summary>
internal readonly struct Count2 : ICount
{
    /// <inheritdoc />
    public static int Count => 2;
}

/// <summary>3.</summary>
internal readonly struct Count3 : ICount
{
    /// <inheritdoc />
    public static int Count => 3;
}

/// <summary>4.</summary>
internal readonly struct Count4 : ICount
{
    /// <inheritdoc />
    public static int Count => 4;
}

/// <summary>5.</summary>
internal readonly struct Count5 : ICount
{
    /// <inheritdoc />
    public static int Count => 5;
}

/// <summary>6.</summary>
internal readonly struct Count6 : ICount
{
    /// <inheritdoc />
    public static int Count => 6;
}

/// <summary>8.</summary>
internal readonly struct Count8 : ICount
{
    /// <inheritdoc />
    public static int Count => 8;
}

/// <summary>12.</summary>
internal readonly struct Count12 : ICount
{
    /// <inheritdoc />
    public static int Count => 12;
}
