using LightNet.Onnx;

namespace LightNet.Operators.ControlFlow;

/// <summary>Splits each string at 'delimiter' (runs of whitespace when absent or empty), at most 'maxsplit' times; outputs the padded parts and their counts.</summary>
internal sealed class StringSplit : OperatorDef
{
    public override string OpType => "StringSplit";

    public override int SinceVersion => 20;

    public override string Types => "string";

    public override void Execute(OpContext ctx)
    {
        OpTensor x = ctx.Input(0);
        if (x.Type != TensorElementType.String)
        {
            throw ctx.Fail($"the input must be strings, not {x.Type}");
        }

        string delimiter = ctx.String("delimiter", "");
        long maxsplit = ctx.HasAttribute("maxsplit") ? ctx.Int("maxsplit", -1) : -1;
        string[] s = x.Get<string>();
        var parts = new List<string>[s.Length];
        int width = 0;
        for (int i = 0; i < s.Length; i++)
        {
            parts[i] = delimiter.Length == 0 ? SplitWhitespace(s[i], maxsplit) : SplitAt(s[i], delimiter, maxsplit);
            width = Math.Max(width, parts[i].Count);
        }

        long[] dims = [.. x.Dims, width];
        var y = new string[OpTensor.Count(dims)];
        Array.Fill(y, string.Empty);
        var z = new long[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            parts[i].CopyTo(y, i * width);
            z[i] = parts[i].Count;
        }

        ctx.Set(0, new OpTensor(TensorElementType.String, dims, y));
        ctx.Set(1, OpTensor.FromLongs((long[])x.Dims.Clone(), z));
    }

    private static List<string> SplitAt(string s, string delimiter, long maxsplit)
    {
        var result = new List<string>();
        int start = 0;
        while (maxsplit < 0 || result.Count < maxsplit)
        {
            int at = s.IndexOf(delimiter, start, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            result.Add(s[start..at]);
            start = at + delimiter.Length;
        }

        result.Add(s[start..]);
        return result;
    }

    private static List<string> SplitWhitespace(string s, long maxsplit)
    {
        var result = new List<string>();
        int i = 0;
        while (true)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            if (i >= s.Length)
            {
                break;
            }

            if (maxsplit >= 0 && result.Count >= maxsplit)
            {
                result.Add(s[i..]);
                break;
            }

            int start = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            result.Add(s[start..i]);
        }

        return result;
    }
}
