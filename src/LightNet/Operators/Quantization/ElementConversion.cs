using System.Globalization;
using LightNet.Onnx;

namespace LightNet.Operators.Quantization;

/// <summary>
/// Element-type conversions shared by Cast, CastLike and the quantization operators: ONNX type codes and names,
/// numeric casts (floats round once to the target, floats to integers truncate toward zero, integers wrap as C casts
/// do), and string casts as ONNX Runtime performs them (numbers to "%.8g" text, "NaN", "INF", "-INF"; strings parsed
/// like std::stod / std::stoll / std::stoull: leading blanks skipped, the longest numeric prefix read).
/// </summary>
internal static class ElementConversion
{
    /// <summary>The ONNX name of a TensorProto.DataType code, e.g. "FLOAT8E4M3FN".</summary>
    public static string TypeName(long code) => code switch
    {
        1 => "FLOAT",
        2 => "UINT8",
        3 => "INT8",
        4 => "UINT16",
        5 => "INT16",
        6 => "INT32",
        7 => "INT64",
        8 => "STRING",
        9 => "BOOL",
        10 => "FLOAT16",
        11 => "DOUBLE",
        12 => "UINT32",
        13 => "UINT64",
        14 => "COMPLEX64",
        15 => "COMPLEX128",
        16 => "BFLOAT16",
        17 => "FLOAT8E4M3FN",
        18 => "FLOAT8E4M3FNUZ",
        19 => "FLOAT8E5M2",
        20 => "FLOAT8E5M2FNUZ",
        21 => "UINT4",
        22 => "INT4",
        23 => "FLOAT4E2M1",
        24 => "FLOAT8E8M0",
        25 => "UINT2",
        26 => "INT2",
        _ => $"type {code}",
    };

    /// <summary>The data-type code of an ONNX type name (Cast-1 writes 'to' as a string), or 0.</summary>
    public static long CodeOf(string name)
    {
        for (long code = 1; code <= 26; code++)
        {
            if (string.Equals(TypeName(code), name, StringComparison.OrdinalIgnoreCase))
            {
                return code;
            }
        }

        return 0;
    }

    /// <summary>
    /// Why the operator layer cannot produce elements of <paramref name="code"/> (float8, 4-bit, 2-bit, complex,
    /// unknown), or null when it can.
    /// </summary>
    public static string? Refusal(long code)
    {
        if (code is >= 1 and <= 23 && OpTensor.IsSupported((TensorElementType)code))
        {
            return null;
        }

        return code switch
        {
            0 => "the element type is undefined (0)",
            14 or 15 => $"{TypeName(code)} tensors are not supported by the cpu-simd operator layer",
            >= 17 and <= 26 => $"{TypeName(code)} tensors (float8, 4-bit and 2-bit types) are not supported by the cpu-simd operator layer",
            _ => $"element type {code} is not a known ONNX type",
        };
    }

    /// <summary>The target type code of a Cast node's 'to' attribute (an integer; a type name string before opset 6).</summary>
    public static long TargetCode(Node node)
    {
        if (!node.Attributes.TryGetValue("to", out NodeAttribute? a))
        {
            return 0;
        }

        return a.Kind == AttributeKind.String ? CodeOf(a.StringValue ?? "") : node.GetInt("to", 0);
    }

    /// <summary>Converts <paramref name="x"/> to <paramref name="to"/> element by element.</summary>
    public static OpTensor Convert(OpContext ctx, OpTensor x, TensorElementType to)
    {
        if (Refusal((long)to) is { } why)
        {
            throw ctx.Unsupported(why);
        }

        if (x.Type == to)
        {
            return x;
        }

        if (to == TensorElementType.String)
        {
            return new OpTensor(to, x.Dims, ToStrings(x));
        }

        if (x.Type == TensorElementType.String)
        {
            return FromStrings(ctx, x.Get<string>(), x.Dims, to);
        }

        if (x.IsFloat)
        {
            return OpTensor.FromDoubles(to, x.Dims, x.ToDoubles());
        }

        if (x.Type == TensorElementType.UInt64)
        {
            return FromUnsigned(to, x.Dims, (ulong[])x.Data);
        }

        return FromSigned(to, x.Dims, Longs(x));
    }

    /// <summary>Integer or bool elements as longs (uint64 reinterpreted); refuses floating-point and string tensors.</summary>
    public static long[] Longs(OpTensor x) => x.IsFloat || x.Type == TensorElementType.String
        ? throw new LightNetException(ErrorCode.UnsupportedOperator, $"{x.Type} values are not integers.")
        : x.ToLongs();

    /// <summary>Elements of any numeric type as floats (uint64 converted straight from its unsigned value).</summary>
    public static float[] Floats(OpTensor x)
    {
        if (x.Type != TensorElementType.UInt64)
        {
            return x.ToFloats();
        }

        ulong[] u = (ulong[])x.Data;
        var f = new float[u.Length];
        for (int i = 0; i < f.Length; i++) f[i] = u[i];
        return f;
    }

    private static bool IsFloatType(TensorElementType t) =>
        t is TensorElementType.Float or TensorElementType.Double or TensorElementType.Float16 or TensorElementType.BFloat16;

    /// <summary>Integers to any numeric type; floats are rounded once from the exact integer.</summary>
    private static OpTensor FromSigned(TensorElementType to, long[] dims, long[] v)
    {
        switch (to)
        {
            case TensorElementType.Float:
                var f = new float[v.Length];
                for (int i = 0; i < f.Length; i++) f[i] = v[i];
                return new OpTensor(to, dims, f);
            case TensorElementType.Double:
                var d = new double[v.Length];
                for (int i = 0; i < d.Length; i++) d[i] = v[i];
                return new OpTensor(to, dims, d);
            case TensorElementType.Float16 or TensorElementType.BFloat16:
                var r = new double[v.Length];
                for (int i = 0; i < r.Length; i++) r[i] = (float)v[i];
                return OpTensor.FromDoubles(to, dims, r);
            default:
                return OpTensor.FromLongs(to, dims, v);
        }
    }

    private static OpTensor FromUnsigned(TensorElementType to, long[] dims, ulong[] v)
    {
        if (!IsFloatType(to))
        {
            var l = new long[v.Length];
            for (int i = 0; i < l.Length; i++) l[i] = unchecked((long)v[i]);
            return OpTensor.FromLongs(to, dims, l);
        }

        if (to == TensorElementType.Float)
        {
            var f = new float[v.Length];
            for (int i = 0; i < f.Length; i++) f[i] = v[i];
            return new OpTensor(to, dims, f);
        }

        var d = new double[v.Length];
        for (int i = 0; i < d.Length; i++) d[i] = to == TensorElementType.Double ? v[i] : (float)v[i];
        return OpTensor.FromDoubles(to, dims, d);
    }

    // ---- strings ---------------------------------------------------------------------------------------------------

    private static string[] ToStrings(OpTensor x)
    {
        var s = new string[x.Length];
        if (x.Type == TensorElementType.UInt64)
        {
            var u = (ulong[])x.Data;
            for (int i = 0; i < s.Length; i++) s[i] = u[i].ToString(CultureInfo.InvariantCulture);
        }
        else if (x.IsFloat)
        {
            double[] d = x.ToDoubles();
            for (int i = 0; i < s.Length; i++) s[i] = FormatFloat(d[i]);
        }
        else
        {
            long[] l = Longs(x);
            for (int i = 0; i < s.Length; i++) s[i] = l[i].ToString(CultureInfo.InvariantCulture);
        }

        return s;
    }

    /// <summary>A floating-point value as text: C's "%.8g" (8 significant digits), "NaN", "INF" or "-INF".</summary>
    public static string FormatFloat(double v)
    {
        if (double.IsNaN(v))
        {
            return "NaN";
        }

        if (double.IsInfinity(v))
        {
            return v < 0 ? "-INF" : "INF";
        }

        // .NET's "G8" follows %g: fixed notation for exponents in [-5, 8), trailing zeros dropped, two-digit exponents.
        return v.ToString("G8", CultureInfo.InvariantCulture).Replace('E', 'e');
    }

    private static OpTensor FromStrings(OpContext ctx, string[] s, long[] dims, TensorElementType to)
    {
        if (IsFloatType(to))
        {
            var d = new double[s.Length];
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = ParseDouble(ctx, s[i]);
                if (to is TensorElementType.Float16 or TensorElementType.BFloat16)
                {
                    d[i] = (float)d[i];
                }
            }

            return OpTensor.FromDoubles(to, dims, d);
        }

        bool unsigned = to is TensorElementType.UInt8 or TensorElementType.UInt16 or TensorElementType.UInt32
            or TensorElementType.UInt64 or TensorElementType.Bool;
        var l = new long[s.Length];
        for (int i = 0; i < l.Length; i++)
        {
            l[i] = ParseInteger(ctx, s[i], unsigned);
        }

        return OpTensor.FromLongs(to, dims, l);
    }

    private static int SkipBlanks(string s)
    {
        int p = 0;
        while (p < s.Length && s[p] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
        {
            p++;
        }

        return p;
    }

    /// <summary>std::stod: the longest decimal prefix, or inf/infinity/nan in any case, with an optional sign.</summary>
    public static double ParseDouble(OpContext ctx, string s)
    {
        int start = SkipBlanks(s), p = start;
        bool negative = false;
        if (p < s.Length && s[p] is '+' or '-')
        {
            negative = s[p] == '-';
            p++;
        }

        ReadOnlySpan<char> rest = s.AsSpan(p);
        if (rest.StartsWith("inf", StringComparison.OrdinalIgnoreCase))
        {
            return negative ? double.NegativeInfinity : double.PositiveInfinity;
        }

        if (rest.StartsWith("nan", StringComparison.OrdinalIgnoreCase))
        {
            return double.NaN;
        }

        int digits = 0;
        while (p < s.Length && char.IsAsciiDigit(s[p]))
        {
            p++;
            digits++;
        }

        if (p < s.Length && s[p] == '.')
        {
            p++;
            while (p < s.Length && char.IsAsciiDigit(s[p]))
            {
                p++;
                digits++;
            }
        }

        if (digits == 0)
        {
            throw ctx.Fail($"cannot cast the string \"{Shorten(s)}\" to a number");
        }

        if (p < s.Length && s[p] is 'e' or 'E')
        {
            int q = p + 1;
            if (q < s.Length && s[q] is '+' or '-')
            {
                q++;
            }

            if (q < s.Length && char.IsAsciiDigit(s[q]))
            {
                while (q < s.Length && char.IsAsciiDigit(s[q]))
                {
                    q++;
                }

                p = q;
            }
        }

        return double.Parse(s.AsSpan(start, p - start), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>std::stoll / std::stoull: the longest base-10 integer prefix (stoull negates a '-' value modulo 2^64).</summary>
    public static long ParseInteger(OpContext ctx, string s, bool unsigned)
    {
        int p = SkipBlanks(s);
        bool negative = false;
        if (p < s.Length && s[p] is '+' or '-')
        {
            negative = s[p] == '-';
            p++;
        }

        ulong magnitude = 0;
        int digits = 0;
        while (p < s.Length && char.IsAsciiDigit(s[p]))
        {
            ulong next = unchecked((magnitude * 10) + (ulong)(s[p] - '0'));
            if (magnitude > ulong.MaxValue / 10 || next < magnitude * 10)
            {
                throw ctx.Fail($"the string \"{Shorten(s)}\" is out of range for a 64-bit integer");
            }

            magnitude = next;
            p++;
            digits++;
        }

        if (digits == 0)
        {
            throw ctx.Fail($"cannot cast the string \"{Shorten(s)}\" to an integer");
        }

        if (unsigned)
        {
            return unchecked((long)(negative ? 0UL - magnitude : magnitude));
        }

        if (negative ? magnitude > 1UL << 63 : magnitude > long.MaxValue)
        {
            throw ctx.Fail($"the string \"{Shorten(s)}\" is out of range for a 64-bit integer");
        }

        return negative ? unchecked((long)(0UL - magnitude)) : (long)magnitude;
    }

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "..." : s;
}
