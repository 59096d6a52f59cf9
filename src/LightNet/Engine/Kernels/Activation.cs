using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per row in epilogues (FusedActivation.TryCreate)
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

/// <summary>How <see cref="FusedActivation"/> transforms a value.</summary>
internal enum FusedActivationForm
{
    /// <summary>Identity.</summary>
    None,

    /// <summary>clamp(x, Lo, Hi): None with finite bounds, ReLU, Clip.</summary>
    Clamp,

    /// <summary>clamp(Alpha·x + Beta, Lo, Hi): HardSigmoid.</summary>
    HardClamp,

    /// <summary>x · clamp(Alpha·x + Beta, Lo, Hi): HardSwish.</summary>
    HardSwish,
}

/// <summary>
/// An activation in the form kernels apply in registers before their store: a clamp, or the piecewise-linear
/// HardSigmoid/HardSwish (multiply and add kept separate, so every path matches <see cref="Activation.Apply"/> bit for bit).
/// </summary>
/// <param name="Form">Which transform.</param>
/// <param name="Alpha">Slope of the hard forms.</param>
/// <param name="Beta">Offset of the hard forms.</param>
/// <param name="Lo">Lower bound.</param>
/// <param name="Hi">Upper bound.</param>
internal readonly record struct FusedActivation(FusedActivationForm Form, float Alpha, float Beta, float Lo, float Hi)
{
    /// <summary>The identity.</summary>
    public static FusedActivation None => new(FusedActivationForm.None, 1f, 0f, float.NegativeInfinity, float.PositiveInfinity);

    /// <summary>Whether this is the identity.</summary>
    public bool IsNone => Form == FusedActivationForm.None;

    /// <summary>
    /// The register form of <paramref name="act"/>: None, ReLU, Clip, HardSigmoid and HardSwish have one; LeakyRelu,
    /// Sigmoid and Tanh do not (kernels apply those in a pass of their own).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per row in epilogues (GemmEpilogue.CombineActivate)
    public static bool TryCreate(in Activation act, out FusedActivation fused)
    {
        if (act.TryGetClamp(out float lo, out float hi))
        {
            fused = act.IsNone ? None : new FusedActivation(FusedActivationForm.Clamp, 1f, 0f, lo, hi);
            return true;
        }

        fused = act.Kind switch
        {
            ActivationKind.HardSigmoid => new FusedActivation(FusedActivationForm.HardClamp, act.Alpha, act.Beta, 0f, 1f),
            ActivationKind.HardSwish => new FusedActivation(FusedActivationForm.HardSwish, 1f / 6f, 0.5f, 0f, 1f),
            _ => None,
        };
        return act.Kind is ActivationKind.HardSigmoid or ActivationKind.HardSwish;
    }

    /// <summary>The transform of one value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per value in row tails: as a call (a switch) it took 3 % of SqueezeNet
    public float Apply(float x)
    {
        // Plain branches, the clamp first, as in the vector forms.
        if (Form == FusedActivationForm.Clamp)
        {
            return MathF.Min(MathF.Max(x, Lo), Hi);
        }

        if (Form == FusedActivationForm.None)
        {
            return x;
        }

        float h = MathF.Max(Lo, MathF.Min(Hi, (Alpha * x) + Beta));
        return Form == FusedActivationForm.HardSwish ? x * h : h;
    }

    /// <summary>The transform of 16 values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> x)
    {
        // Plain branches on the form (not a switch, which compiles to a jump table per vector): the clamp first.
        if (Form == FusedActivationForm.Clamp)
        {
            return Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(Lo)), Vector512.Create(Hi));
        }

        if (Form == FusedActivationForm.None)
        {
            return x;
        }

        var h = Vector512.MaxNative(Vector512.MinNative((x * Vector512.Create(Alpha)) + Vector512.Create(Beta), Vector512.Create(Hi)), Vector512.Create(Lo));
        return Form == FusedActivationForm.HardSwish ? x * h : h;
    }

    /// <summary>The transform of 8 values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(Vector256<float> x)
    {
        // Plain branches on the form (not a switch, which compiles to a jump table per vector): the clamp first.
        if (Form == FusedActivationForm.Clamp)
        {
            return Clamp(x, Vector256.Create(Lo), Vector256.Create(Hi));
        }

        if (Form == FusedActivationForm.None)
        {
            return x;
        }

        var h = Vector256.MaxNative(Vector256.MinNative((x * Vector256.Create(Alpha)) + Vector256.Create(Beta), Vector256.Create(Hi)), Vector256.Create(Lo));
        return Form == FusedActivationForm.HardSwish ? x * h : h;
    }

    /// <summary>
    /// The clamp form of 8 values with its bounds broadcast by the caller: a kernel that tests the form once for a tile
    /// broadcasts <see cref="Lo"/> and <see cref="Hi"/> once too (per vector, <see cref="Apply(Vector256{float})"/>
    /// tests the form and broadcasts both bounds each time).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Clamp(Vector256<float> x, Vector256<float> lo, Vector256<float> hi) => Vector256.MinNative(Vector256.MaxNative(x, lo), hi);

    /// <summary>The transform of 4 values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Apply(Vector128<float> x)
    {
        // Plain branches on the form (not a switch, which compiles to a jump table per vector): the clamp first.
        if (Form == FusedActivationForm.Clamp)
        {
            return Vector128.MinNative(Vector128.MaxNative(x, Vector128.Create(Lo)), Vector128.Create(Hi));
        }

        if (Form == FusedActivationForm.None)
        {
            return x;
        }

        var h = Vector128.MaxNative(Vector128.MinNative((x * Vector128.Create(Alpha)) + Vector128.Create(Beta), Vector128.Create(Hi)), Vector128.Create(Lo));
        return Form == FusedActivationForm.HardSwish ? x * h : h;
    }
}
