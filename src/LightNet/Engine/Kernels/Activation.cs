namespace LightNet.Engine.Kernels;

/// <summary>An activation a kernel can fuse into its store.</summary>
internal enum ActivationKind
{
    /// <summary>Identity.</summary>
    None,

    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>min(max(x, Alpha), Beta).</summary>
    Clip,

    /// <summary>x &gt;= 0 ? x : Alpha·x.</summary>
    LeakyRelu,

    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,

    /// <summary>max(0, min(1, Alpha·x + Beta)).</summary>
    HardSigmoid,

    /// <summary>x · max(0, min(1, x/6 + 1/2)).</summary>
    HardSwish,

    /// <summary>tanh(x).</summary>
    Tanh,
}

/// <summary>
/// An activation with its parameters. Clip: <see cref="Alpha"/> = min, <see cref="Beta"/> = max.
/// LeakyRelu: <see cref="Alpha"/>. HardSigmoid: <see cref="Alpha"/>, <see cref="Beta"/> (ONNX defaults 0.2, 0.5).
/// </summary>
/// <param name="Kind">Which function.</param>
/// <param name="Alpha">First parameter (see the type's summary).</param>
/// <param name="Beta">Second parameter (see the type's summary).</param>
internal readonly record struct Activation(ActivationKind Kind, float Alpha = 0f, float Beta = 0f)
{
    /// <summary>The identity activation.</summary>
    public static Activation None => default;

    /// <summary>ReLU.</summary>
    public static Activation Relu => new(ActivationKind.Relu);

    /// <summary>Clip to [min, max] (ReLU6 is Clip(0, 6)).</summary>
    public static Activation Clip(float min, float max) => new(ActivationKind.Clip, min, max);

    /// <summary>Whether this is the identity.</summary>
    public bool IsNone => Kind == ActivationKind.None;

    /// <summary>
    /// Whether the activation is a clamp to [<paramref name="lo"/>, <paramref name="hi"/>] (None, ReLU, Clip), which
    /// kernels apply in registers before their store; the bounds are infinite where open.
    /// </summary>
    public bool TryGetClamp(out float lo, out float hi)
    {
        (lo, hi) = Kind switch
        {
            ActivationKind.None => (float.NegativeInfinity, float.PositiveInfinity),
            ActivationKind.Relu => (0f, float.PositiveInfinity),
            ActivationKind.Clip => (Alpha, Beta),
            _ => (float.NaN, float.NaN),
        };
        return !float.IsNaN(lo);
    }

    /// <summary>The scalar reference of the activation; every SIMD path matches it.</summary>
    public float Apply(float x) => Kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => x > 0f ? x : 0f,
        ActivationKind.Clip => MathF.Min(MathF.Max(x, Alpha), Beta),
        ActivationKind.LeakyRelu => x >= 0f ? x : Alpha * x,
        ActivationKind.Sigmoid => 1f / (1f + MathF.Exp(-x)),
        ActivationKind.HardSigmoid => MathF.Max(0f, MathF.Min(1f, (Alpha * x) + Beta)),
        ActivationKind.HardSwish => x * MathF.Max(0f, MathF.Min(1f, (x * (1f / 6f)) + 0.5f)),
        ActivationKind.Tanh => MathF.Tanh(x),
        _ => x,
    };
}
