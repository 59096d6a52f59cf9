using LightNet.Onnx;

namespace LightNet.Operators;

/// <summary>
/// One ONNX operator, in one file: the opsets it is defined for, the validation of its attributes, and how the
/// <c>cpu-simd</c> engine computes it on run-time tensors of any supported element type and shape. The
/// <see cref="OperatorRegistry"/> holds one instance per operator; support checks and documentation read it.
/// </summary>
internal abstract class OperatorDef
{
    /// <summary>The ONNX operator type, e.g. "Conv".</summary>
    public abstract string OpType { get; }

    /// <summary>The operator's domain: "" (ai.onnx) or e.g. "com.microsoft".</summary>
    public virtual string Domain => "";

    /// <summary>The first opset of <see cref="Domain"/> whose version of the operator this implementation follows.</summary>
    public virtual int SinceVersion => 1;

    /// <summary>Element types the operator computes, for the documentation ("float", "all numeric", ...).</summary>
    public virtual string Types => "float32, float16, float64";

    /// <summary>True when the compiled fast path (GraphOptimizer, CpuPlan) also plans this operator.</summary>
    public virtual bool Compiled => false;

    /// <summary>
    /// For a <see cref="Compiled"/> operator: the attribute values the fast path does not plan, one call of
    /// <paramref name="problem"/>(attribute, detail) each (such graphs run in the interpreter instead).
    /// </summary>
    public virtual void ValidateCompiled(Node n, long opset, Action<string, string> problem)
    {
    }

    /// <summary>
    /// True when the output shape depends on the values of float inputs too (NonZero, Unique, Compress,
    /// NonMaxSuppression), so that static shape inference cannot run the operator on placeholder values.
    /// </summary>
    public virtual bool ShapeDependsOnValues => false;

    /// <summary>What is not supported, for the documentation; empty when the full specification is.</summary>
    public virtual string Limitations => "";

    /// <summary>
    /// Checks the node's attributes and static facts before anything runs, adding one line per problem (name the
    /// attribute and the value). The default accepts everything.
    /// </summary>
    public virtual void Validate(Node node, long opset, List<string> problems)
    {
    }

    /// <summary>
    /// The checks of the ONNX specification that every runtime relies on and that do not need shapes: positive strides,
    /// dilations, kernel and block sizes, non-negative pads, a group count of at least 1, attribute lengths that agree,
    /// integers within the range native code computes with. A problem here means the model is invalid (not merely
    /// outside what <c>cpu-simd</c> implements), so it is also checked before ONNX Runtime or cuDNN sees the model
    /// (<see cref="OperatorRegistry.ValidateSpecification"/>); the interpreter checks it with <see cref="Validate"/>.
    /// The default accepts everything.
    /// </summary>
    public virtual void ValidateSpecification(Node node, long opset, List<string> problems)
    {
    }

    /// <summary>
    /// Multiply-accumulates of one execution, from the inferred input and output shapes (null where unknown), for
    /// <c>ModelInfo.Macs</c>. The default, 0, is right for operators without multiply-accumulate work; the
    /// convention counts Conv, ConvTranspose, Gemm and MatMul (and their integer forms).
    /// </summary>
    public virtual long Macs(Node node, IReadOnlyList<long[]?> inputs, IReadOnlyList<long[]?> outputs) => 0;

    /// <summary>Computes the node's outputs from <see cref="OpContext.Inputs"/>.</summary>
    /// <exception cref="LightNetException">Bad inputs or attributes (naming the node), or an unsupported case.</exception>
    public abstract void Execute(OpContext ctx);
}
