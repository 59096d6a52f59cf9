using System.Text.RegularExpressions;
using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>True per string element when the whole string matches the 'pattern' regular expression.</summary>
internal sealed class RegexFullMatch : OperatorDef
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(1);

    public override string OpType => "RegexFullMatch";

    public override int SinceVersion => 20;

    public override string Types => "string";

    public override string Limitations => "patterns use .NET regular expressions (RE2 syntax is mostly a subset); each match is limited to one second";

    public override void Validate(Node node, long opset, List<string> problems)
    {
        string pattern = node.GetString("pattern", "");
        try
        {
            _ = Build(pattern);
        }
        catch (ArgumentException e)
        {
            problems.Add($"attribute 'pattern' = '{pattern}' is not a valid regular expression: {e.Message}");
        }
    }

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Type != TensorElementType.String)
        {
            throw ctx.Fail($"the input must be strings, not {x.Type}");
        }

        Regex re;
        try
        {
            re = Build(ctx.String("pattern", ""));
        }
        catch (ArgumentException e)
        {
            throw ctx.Fail($"attribute 'pattern' is not a valid regular expression: {e.Message}");
        }

        string[] s = x.Get<string>();
        var result = new bool[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            try
            {
                result[i] = re.IsMatch(s[i]);
            }
            catch (RegexMatchTimeoutException)
            {
                throw ctx.Fail($"matching element {i} took longer than {s_timeout.TotalSeconds} s");
            }
        }

        ctx.Set(0, new OpTensor(TensorElementType.Bool, (long[])x.Dims.Clone(), result));
    }

    private static Regex Build(string pattern) =>
        new($@"\A(?:{pattern})\z", RegexOptions.CultureInvariant, s_timeout);
}
