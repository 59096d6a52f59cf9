using System.Security.Cryptography;
using LightNet.Backends;
using LightNet.Evaluation;
using LightNet.Profiling;
using LightNet.Study;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace LightNet.Tests.Study;

/// <summary>study --pretrained --eval: the pretrained file taken from a pre-seeded download cache (no network), and every precision's
/// accuracy measured on a labelled set.</summary>
public sealed class StudyAccuracyTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void PretrainedFromTheCacheWithAccuracyMeasuredForEveryPrecision()
    {
        // The "pretrained file": a network saved into the cache under the name and SHA-256 its entry pins, as a finished download leaves it.
        string cache = Path.Combine(_temp.Path, "cache");
        Directory.CreateDirectory(cache);
        string file = Path.Combine(cache, "squeezenet-test.onnx");
        ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Seed = 7 }).Save(file);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
        var pretrained = new PretrainedFile("squeezenet-test.onnx", new Uri("https://example.invalid/squeezenet-test.onnx"), sha);

        string root = Path.Combine(_temp.Path, "set");
        Rgb24[] colours = [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255), new(128, 128, 128)];
        for (int i = 0; i < colours.Length; i++)
        {
            Directory.CreateDirectory(Path.Combine(root, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            using var image = new Image<Rgb24>(80, 70, colours[i]);
            image.SaveAsPng(Path.Combine(root, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "x.png"));
        }

        LabelledImageSet set = LabelledImageSet.Load(root);
        StudyOptions options = StudyOptions.Quick with
        {
            Models = ["squeezenet1_1"],
            Backends = ["ort-cpu"],
            Precisions = [Precision.Fp32, Precision.Int8],
            Resolution = null,
            Measurement = new ProfileOptions { WarmupRuns = 1, WarmupSeconds = 0, Runs = 3, MinSeconds = 0, MaxSeconds = 1, PerOperatorRuns = 1, Threads = 1 },
            CalibrationSamples = 2,
            FidelitySamples = 2,
            Pretrained = true,
            PretrainedCache = cache,
            PretrainedFiles = new Dictionary<string, PretrainedFile> { ["squeezenet1_1"] = pretrained },
            Evaluation = set,
        };
        StudyResults r = StudyRunner.Run(options);

        Assert.True(r.Settings.Pretrained);
        Assert.Equal((root, 4), (r.Settings.EvaluationSource, r.Settings.EvaluationImages));
        StudyModel m = Assert.Single(r.Models);
        Assert.Contains(m.Notes, n => n.StartsWith("Pretrained weights from squeezenet-test.onnx (SHA-256 checked)", StringComparison.Ordinal));
        Assert.Equal(64, m.Resolution);

        // Every precision's accuracy is the evaluator's on that very variant.
        AccuracyResult fp32 = m.Variant(Precision.Fp32)!.Accuracy!;
        AccuracyResult expected = AccuracyEvaluator.Evaluate(Model.Load(file), set, new AccuracyOptions { Inference = new InferenceOptions { Threads = 1 } });
        Assert.Equal((4, expected.Top1Correct, expected.Top5Correct), (fp32.Images, fp32.Top1Correct, fp32.Top5Correct));
        (Model int8, _, string int8Sha) = StudyRunner.RecreateVariant(r, m.Name, Precision.Int8, cache);
        Assert.Equal(m.Variant(Precision.Int8)!.Sha256, int8Sha);
        AccuracyResult measured = m.Variant(Precision.Int8)!.Accuracy!;
        Assert.Equal(AccuracyEvaluator.Evaluate(int8, set, new AccuracyOptions { Inference = new InferenceOptions { Threads = 1 } }).Top1Correct, measured.Top1Correct);

        Assert.All(ModelSelector.Candidates(r), c => Assert.True(c.AccuracyMeasured, c.ToString()));
        string md = StudyMarkdown.Format(r);
        Assert.Contains("**Accuracy:** Accuracy is measured: top-1 and top-5 of every variant on 4 labelled images of " + root + ", with the pretrained weights.", md);
        Assert.Contains("| Measured top-1 % | Measured top-5 % |", md);
        Assert.Contains("measured top-1 %", StudyHtml.Format(r));
        Assert.Contains("measured top-1", r.Recommendation!.Summary);
    }

    [Fact]
    public void PretrainedOptionsThatCannotWorkAreRefusedBeforeMeasuring()
    {
        var e = Assert.Throws<LightNetException>(() => StudyRunner.Run(StudyOptions.Quick with
        {
            Models = ["mobilenet_v1", "squeezenet1_1@0.5"],
            Pretrained = true,
            Evaluation = LabelledImageSet.FromImages("x", [new LabelledImage("x.png", 0)]),
            EvaluationBackend = "no-such-backend",
        }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("--pretrained: 'mobilenet_v1' has no pretrained file", e.Message);
        Assert.Contains("--pretrained: 'squeezenet1_1@0.5' asks for a width multiplier", e.Message);
        Assert.Contains("evaluation backend: Unknown backend 'no-such-backend'", e.Message);
    }

    [Fact]
    public void WithoutEvalOrPretrainedTheReportSaysAccuracyIsPublishedAndOnlyFidelityWasMeasured()
    {
        StudyResults r = StudyJson.Parse(File.ReadAllText(WriteMinimal()));
        Assert.Contains("accuracy is the published value of trained weights", StudyMarkdown.Format(r));
    }

    private string WriteMinimal()
    {
        var results = new StudyResults
        {
            Environment = EnvironmentInfo.Capture(),
            Baseline = StudyOptions.PlainBaseline,
            Settings = new StudySettings(),
        };
        string path = _temp.File("r.json");
        StudyJson.Write(results, path);
        return path;
    }
}
