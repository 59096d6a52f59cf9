using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Elman recurrent network: H = f(X W^T + H R^T + biases) over the sequence, per direction, with all outputs (Y, Y_h).</summary>
internal sealed class RNN : OperatorDef
{
    public override string OpType => "RNN";

    public override void Validate(Node node, long opset, List<string> problems) => Recurrent.Validate(Recurrent.Cell.Rnn, node, problems);

    public override void Execute(OpContext ctx) => Recurrent.Run(ctx, Recurrent.Cell.Rnn);
}
