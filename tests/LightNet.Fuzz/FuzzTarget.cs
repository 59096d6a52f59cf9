using System.Text;
using LightNet.Analysis;
using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Preprocessing;
using LightNet.Reports;
using LightNet.Study;

namespace LightNet.Fuzz;

/// <summary>
/// One entry point under test: its name (also the corpus folder's), how to mutate an input and how to run one. The
/// contract every target checks is the library's: an input either succeeds or throws <see cref="LightNetException"/>
/// with a code; any other exception is a crash (a finding).
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>The targets, by name: onnx-reader, shape-inference, cpu-simd, image, results-json.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
        [new OnnxReaderTarget(), new ShapeInferenceTarget(), new CpuSimdTarget(), new ImageTarget(), new ResultsJsonTarget()];

    /// <summary>The target with this name.</summary>
    public static FuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"Unknown fuzz target '{name}'; known: {string.Join(", ", All.Select(t => t.Name))}.");

    /// <summary>The name, and the corpus folder under tests/fuzz/corpus.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the target counts towards the ≥ 10,000-input model and image campaign figures.</summary>
    public virtual bool IsModelOrImage => true;

    /// <summary>The valid inputs the corpus starts from (see <see cref="Seeds"/>).</summary>
    public abstract IEnumerable<(string Name, byte[] Bytes)> Seeds();

    /// <summary>A mutated copy of <paramref name="input"/>.</summary>
    public abstract byte[] Mutate(byte[] input, Random random);

    /// <summary>Runs one input: returns on success, throws <see cref="LightNetException"/> for a refused input.</summary>
    public abstract void Execute(byte[] input);

    public override string ToString() => Name;
}

/// <summary>The ONNX reader: parse, validate, walk the graph, write it back.</summary>
internal sealed class OnnxReaderTarget : FuzzTarget
{
    // External data is resolved against a real folder holding one weights file, so paths are checked, not just refused.
    private static readonly Lazy<string> s_folder = new(() =>
    {
        string folder = Path.Combine(Path.GetTempPath(), $"lightnet-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "weights.bin"), new byte[4096]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Left for the system's temp cleaning.
            }
        };
        return folder;
    });

    public override string Name => "onnx-reader";

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds() => Fuzz.Seeds.Models();

    public override byte[] Mutate(byte[] input, Random random) => ModelMutator.Mutate(input, random);

    public override void Execute(byte[] input)
    {
        Model model = Model.Load(input.AsMemory());
        _ = model.Graph.Nodes.Count;
        _ = model.ToArray();
        if (input.AsSpan().IndexOf("location"u8) >= 0)
        {
            string path = Path.Combine(s_folder.Value, $"model-{Environment.CurrentManagedThreadId}.onnx");
            File.WriteAllBytes(path, input);
            _ = Model.Load(path).ToArray();
        }
    }
}

/// <summary>The ONNX reader followed by shape and cost inference (<c>lightnet info</c>).</summary>
internal sealed class ShapeInferenceTarget : FuzzTarget
{
    private static readonly AnalysisOptions s_options = AnalysisOptions.Default with { DimensionValues = new Dictionary<string, long> { ["N"] = 2 } };

    public override string Name => "shape-inference";

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds() => Fuzz.Seeds.Models();

    public override byte[] Mutate(byte[] input, Random random) => ModelMutator.Mutate(input, random);

    public override void Execute(byte[] input)
    {
        Model model = Model.Load(input.AsMemory());
        ModelInfo info = model.Analyze(s_options);
        _ = info.ToString();
    }
}

/// <summary>The graph compiler: a cpu-simd session created (plan compiled) and, when the inputs are small and fixed, run once.</summary>
internal sealed class CpuSimdTarget : FuzzTarget
{
    private const long MaxInputElements = 1 << 20;

    private static readonly InferenceOptions s_options = new() { Threads = 1 };

    // N = 2 only for models that declare a dimension N: a session refuses values for dimensions the model does not have.
    private static readonly InferenceOptions s_withN = s_options with { DimensionValues = new Dictionary<string, long> { ["N"] = 2 } };

    public override string Name => "cpu-simd";

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds() => Fuzz.Seeds.Models();

    public override byte[] Mutate(byte[] input, Random random) => ModelMutator.Mutate(input, random);

    public override void Execute(byte[] input)
    {
        Model model = Model.Load(input.AsMemory());
        bool hasN = SessionPreflight.DeclaredDimensions(model).Contains("N");
        using IInferenceSession session = Backend.Parse("cpu-simd").CreateSession(model, hasN ? s_withN : s_options);
        var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        foreach (TensorSpec spec in session.Inputs)
        {
            long[] shape = spec.Shape.Select(d => d.Value ?? 2).ToArray();
            long elements = shape.Aggregate(1L, (a, d) => d > 0 && a <= MaxInputElements ? a * d : MaxInputElements + 1);
            if (elements > MaxInputElements || shape.Any(d => d <= 0) || spec.ElementType is TensorElementType.String or TensorElementType.Undefined)
            {
                return; // created (and so compiled) but not run: the input would be huge or is not a plain tensor
            }

            inputs[spec.Name] = TensorBuffer.Allocate(spec.ElementType, shape);
        }

        _ = session.Run(inputs);
    }
}

/// <summary>Image decoding and preprocessing to a 32 × 32 tensor.</summary>
internal sealed class ImageTarget : FuzzTarget
{
    private static readonly ImagePreprocessor s_preprocessor = new(PreprocessOptions.Torchvision.WithResolution(32));

    public override string Name => "image";

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds() => Fuzz.Seeds.Images();

    public override byte[] Mutate(byte[] input, Random random) => ImageMutator.Mutate(input, random);

    public override void Execute(byte[] input) => _ = s_preprocessor.Process(input, "fuzz input");
}

/// <summary>The report readers <c>study --compare</c> and <c>merge</c> use: study results (compared with themselves), profile reports, report lists.</summary>
internal sealed class ResultsJsonTarget : FuzzTarget
{
    public override string Name => "results-json";

    public override bool IsModelOrImage => false;

    public override IEnumerable<(string Name, byte[] Bytes)> Seeds() => Fuzz.Seeds.Reports();

    public override byte[] Mutate(byte[] input, Random random) => JsonMutator.Mutate(input, random);

    public override void Execute(byte[] input)
    {
        string json = Encoding.UTF8.GetString(input);
        LightNetException? refused = null;
        bool any = false;
        try
        {
            StudyResults results = StudyJson.Parse(json);
            _ = StudyComparison.Compare(results, results);
            _ = StudyJson.Format(results);
            any = true;
        }
        catch (LightNetException e)
        {
            refused = e;
        }

        try
        {
            _ = ReportJson.Format(ReportJson.Parse(json));
            any = true;
        }
        catch (LightNetException e)
        {
            refused = e;
        }

        try
        {
            _ = ReportJson.Format(ReportJson.ParseMany(json));
            any = true;
        }
        catch (LightNetException e)
        {
            refused = e;
        }

        if (!any && refused is not null)
        {
            throw refused;
        }
    }
}
