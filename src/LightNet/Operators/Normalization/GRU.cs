using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Gated recurrent unit over the sequence (update, reset and hidden gates; linear_before_reset), per direction, with Y and Y_h.</summary>
internal sealed class GRU : OperatorDef
{
    public override string OpType => "GRU";

    public override void Validate(Node node, long opset, List<string> problems) => Recurrent.Validate(Recurrent.Cell.Gru, node, problems);

    public override void Execute(OpContext ctx) => Recurrent.Run(ctx, Recurrent.Cell.Gru);
}
