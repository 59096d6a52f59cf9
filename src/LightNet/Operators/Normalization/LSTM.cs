using LightNet.Onnx;

namespace LightNet.Operators.Normalization;

/// <summary>Long short-term memory over the sequence (input, output, forget and cell gates; peepholes, input_forget), per direction, with Y, Y_h and Y_c.</summary>
internal sealed class LSTM : OperatorDef
{
    public override string OpType => "LSTM";

    public override void Validate(Node node, long opset, List<string> problems) => Recurrent.Validate(Recurrent.Cell.Lstm, node, problems);

    public override void Execute(OpContext ctx) => Recurrent.Run(ctx, Recurrent.Cell.Lstm);
}
