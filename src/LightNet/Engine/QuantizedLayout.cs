using LightNet.Engine.Kernels;

namespace LightNet.Engine;

/// <summary>
/// Which uint8 values of a quantized graph a CPU plan keeps pixel-major ([N][H][W][C] codes, each pixel's channels
/// together) instead of NCHW, so that chains of integer convolutions pass codes from one to the next with no
/// transposes: the direct convolution (<see cref="Int8DirectConv"/>) reads a pixel's channels as its broadcast bytes and
/// writes a pixel's 16 channels per store, and the direct depthwise one (<see cref="Int8DepthwiseDirect"/>, or where its
/// float sums would not be exact the channel-blocked path of <see cref="Int8Depthwise"/>) loads and stores a pixel's
/// channel block. Both convert between the layouts at no extra cost (they copy or transpose
/// their input and output anyway), so they start and end the chains; a pointwise convolution between two pixel-major
/// values needs no copy at all and no GEMM packing. Elementwise nodes (QAdd, a QTable activation) read and write one
/// layout, so their inputs and output are kept pixel-major together or not at all, and so does a max pool (both layouts
/// have a kernel); a global average pool reads either.
/// A value is pixel-major when such a node writes it, it is not a graph output, it has more than one pixel, and every
/// reader takes it; the set is narrowed until that holds everywhere. Nothing is pixel-major where the dense
/// convolutions would not run on the direct kernel (no AVX-VNNI on the AVX-512 level, where the 512-bit GEMM is faster;
/// below AVX2).
/// </summary>
internal sealed class QuantizedLayout
{
    private readonly HashSet<string> _pixelMajor;

    private QuantizedLayout(HashSet<string> pixelMajor) => _pixelMajor = pixelMajor;

    /// <summary>Everything NCHW.</summary>
    public static QuantizedLayout None { get; } = new([]);

    /// <summary>The pixel-major values.</summary>
    public IReadOnlySet<string> PixelMajor => _pixelMajor;

    /// <summary>Whether <paramref name="value"/> is stored pixel-major.</summary>
    public bool IsPixelMajor(string value) => _pixelMajor.Contains(value);

    /// <summary>The algorithm-name suffix of a kernel reading (<paramref name="input"/>) or writing (<paramref name="output"/>) pixel-major codes.</summary>
    public static string Suffix(bool input, bool output) => (input, output) switch
    {
        (true, true) => "-nhwc",
        (true, false) => "-nhwc-to-nchw",
        (false, true) => "-nchw-to-nhwc",
        _ => string.Empty,
    };

    /// <summary>
    /// The path dense convolutions take when they read or write pixel-major codes at <paramref name="isa"/>, or null
    /// when none does here: AVX-VNNI, or on the AVX2 level the 16-bit form.
    /// </summary>
    public static Int8Path? DensePath(Isa isa) => isa switch
    {
        Isa.Avx512 or Isa.Avx2 when Int8Paths.IsSupported(Int8Path.AvxVnni) => Int8Path.AvxVnni,
        Isa.Avx2 when Int8Paths.IsSupported(Int8Path.Avx2) => Int8Path.Avx2,
        _ => null,
    };

    /// <summary>
    /// Plans the layout of <paramref name="graph"/>'s integer values for <paramref name="isa"/>; <paramref name="convShape"/>
    /// gives a QConv node's 2-D shape (null when it is not one).
    /// </summary>
    public static QuantizedLayout Plan(OptimizedGraph graph, Isa isa, Func<OptimizedNode, Conv2dShape?> convShape)
    {
        if (DensePath(isa) is not Int8Path dense)
        {
            return None;
        }

        // Convolutions that read (as input 0) and write either layout.
        var converters = new HashSet<OptimizedNode>();
        foreach (OptimizedNode n in graph.Nodes)
        {
            if (n.OpType != "QConv" || n.Residual is not null || n.Quantized is not { } q || convShape(n) is not { } s)
            {
                continue;
            }

            bool takes = s.IsDepthwise
                ? Int8DepthwiseDirect.Fits(s, q.Weights, q.Bias, isa) || Int8Depthwise.IsBlocked(s, q.Weights, Int8Paths.ForConvolution(s, isa))
                : Int8Convolutions.WinogradFits(s, q.Weights, isa)
                    || (Int8DirectConv.Supports(s, dense) && (dense != Int8Path.AvxVnni || Int8Convolutions.FitInBytes(q.Weights)));
            if (takes)
            {
                converters.Add(n);
            }
        }

        if (converters.Count == 0)
        {
            return None;
        }

        var readers = graph.Readers();
        var writer = new Dictionary<string, OptimizedNode>(StringComparer.Ordinal);
        foreach (OptimizedNode n in graph.Nodes)
        {
            foreach (string y in n.Outputs)
            {
                writer[y] = n;
            }
        }

        var outputs = graph.Outputs.Select(o => o.Value).ToHashSet(StringComparer.Ordinal);
        var pixelMajor = new HashSet<string>(StringComparer.Ordinal);
        foreach (OptimizedNode n in graph.Nodes)
        {
            if ((converters.Contains(n) || OneLayout(graph, n)) && n.Outputs.Length == 1 && !outputs.Contains(n.Outputs[0])
                && graph.Shapes.TryGetValue(n.Outputs[0], out long[]? d) && d.Length == 4 && d[2] * d[3] > 1)
            {
                pixelMajor.Add(n.Outputs[0]);
            }
        }

        bool Takes(OptimizedNode reader, string v)
        {
            if (converters.Contains(reader) || reader.OpType == "QGlobalAveragePool")
            {
                return reader.Inputs[0] == v && reader.Inputs.Skip(1).All(i => i != v);
            }

            return OneLayout(graph, reader) && reader.Inputs.All(pixelMajor.Contains) && pixelMajor.Contains(reader.Outputs[0]);
        }

        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (string v in pixelMajor.ToArray())
            {
                OptimizedNode w = writer[v];
                bool written = converters.Contains(w) || w.Inputs.All(pixelMajor.Contains);
                if (!written || (readers.TryGetValue(v, out var list) && !list.All(r => Takes(r, v))))
                {
                    pixelMajor.Remove(v);
                    changed = true;
                }
            }
        }

        return new QuantizedLayout(pixelMajor);
    }

    // Nodes whose inputs and output share one layout: elementwise ones (inputs of the output's shape, no broadcasting:
    // every input element maps to the output element at its offset) and the max pool (4-D, either layout's kernel).
    private static bool OneLayout(OptimizedGraph graph, OptimizedNode n) =>
        n.Outputs.Length == 1 && graph.Shapes.TryGetValue(n.Outputs[0], out long[]? y) && n.OpType switch
        {
            "QAdd" or "QTable" => n.Inputs.All(i => graph.Shapes.TryGetValue(i, out long[]? x) && x.AsSpan().SequenceEqual(y)),
            "QMaxPool" => y.Length == 4 && n.Inputs.Length == 1,
            _ => false,
        };
}
