using LightNet.Backends;
using LightNet.Evaluation;
using LightNet.Onnx;
using LightNet.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace LightNet.Tests.Evaluation;

/// <summary>
/// Top-1 and top-5 on labelled sets whose right answers are known by construction: a model whose scores are the mean of each colour
/// channel and its negation, and solid-colour images generated here.
/// </summary>
public sealed class AccuracyEvaluatorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// image [1, 3, 8, 8] → mean per channel c → scores [c_r, c_g, c_b, −c_r, −c_g, −c_b]. With torchvision normalisation a pure red
    /// image has c = (2.25, −2.04, −1.80), so its classes rank 0, 4, 5, 2, 1, 3: class 0 is its top-1, class 4 is in its top-5, class 3 is not.
    /// </summary>
    internal static Model ColourModel()
    {
        var b = new ModelBuilder("colour6", 17);
        b.AddInput("image", TensorElementType.Float, 1, 3, 8, 8);
        var w = new float[3 * 6];
        for (int c = 0; c < 3; c++)
        {
            w[c * 6 + c] = 1f;
            w[c * 6 + c + 3] = -1f;
        }

        b.AddInitializer(TensorData.FromFloats("w", [3, 6], w));
        b.AddNode("GlobalAveragePool", ["image"], ["pooled"]);
        b.AddNode("Flatten", ["pooled"], ["flat"]);
        b.AddNode("MatMul", ["flat", "w"], ["scores"]);
        b.AddOutput("scores", TensorElementType.Float, 1, 6);
        return b.Build();
    }

    private static readonly Rgb24[] Colours = [new(255, 0, 0), new(0, 255, 0), new(0, 0, 255)];

    private string Image(string folder, string name, int colour)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name);
        using var image = new Image<Rgb24>(12, 10, Colours[colour]);
        image.SaveAsPng(path);
        return path;
    }

    /// <summary>Rank of each class for each colour, from the model's definition (see <see cref="ColourModel"/>).</summary>
    private static int Rank(int colour, int label)
    {
        int[][] order = [[0, 4, 5, 2, 1, 3], [1, 3, 5, 2, 0, 4], [2, 3, 4, 1, 0, 5]];
        return Array.IndexOf(order[colour], label);
    }

    [Fact]
    public void FolderPerClassIndexGivesTheTop1AndTop5KnownByConstruction()
    {
        // (colour, label) pairs: right answers, answers in the top five but not first, and answers ranked last.
        (int Colour, int Label)[] cases = [(0, 0), (0, 0), (1, 1), (2, 2), (0, 4), (1, 5), (2, 1), (0, 3), (1, 4), (2, 5)];
        string root = Path.Combine(_temp.Path, "set");
        for (int i = 0; i < cases.Length; i++)
        {
            Image(Path.Combine(root, cases[i].Label.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"img{i}.png", cases[i].Colour);
        }

        int top1 = cases.Count(c => Rank(c.Colour, c.Label) == 0), top5 = cases.Count(c => Rank(c.Colour, c.Label) < 5);
        Assert.Equal((4, 7), (top1, top5)); // the construction itself: 4 right, 3 more in the top five, 3 ranked last

        LabelledImageSet set = LabelledImageSet.Load(root);
        Assert.Equal(cases.Length, set.Images.Count);
        var progress = new List<AccuracyProgress>();
        AccuracyResult r = AccuracyEvaluator.Evaluate(ColourModel(), set, new AccuracyOptions { Backend = Backend.Parse("cpu-simd") },
            new SyncProgress<AccuracyProgress>(progress.Add));
        Assert.Equal((cases.Length, top1, top5), (r.Images, r.Top1Correct, r.Top5Correct));
        Assert.Equal(40.0, r.Top1Percent, 9);
        Assert.Equal(70.0, r.Top5Percent, 9);
        Assert.Equal("cpu-simd", r.Backend);
        Assert.Equal(Enumerable.Range(1, cases.Length), progress.Select(p => p.Done));
        Assert.Equal(top1, progress[^1].Top1Correct);
    }

    [Fact]
    public void CsvLabelsByIndexOrNameAndAHeaderAreRead()
    {
        string images = Path.Combine(_temp.Path, "images");
        Image(images, "red.png", 0);
        Image(images, "green.png", 1);
        Image(images, "blue.png", 2);
        string csv = _temp.File("labels.csv");
        // "tench" is ImageNet class 0, "goldfish" class 1: names resolve through the ImageNet labels.
        File.WriteAllLines(csv, ["file,label", "images/red.png,tench", "images/green.png,goldfish", $"{Path.Combine(images, "blue.png")},5"]);
        LabelledImageSet set = LabelledImageSet.Load(csv);
        Assert.Equal([0, 1, 5], set.Images.Select(i => i.Label));
        AccuracyResult r = AccuracyEvaluator.Evaluate(ColourModel(), set);
        Assert.Equal((3, 2, 2), (r.Images, r.Top1Correct, r.Top5Correct)); // blue labelled 5 is ranked last

        File.WriteAllLines(csv, ["images/red.png,not-a-class"]);
        var e = Assert.Throws<LightNetException>(() => LabelledImageSet.Load(csv));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("labels.csv' line 1: label 'not-a-class'", e.Message);

        File.WriteAllLines(csv, ["images/red.png,7"]);
        e = Assert.Throws<LightNetException>(() => AccuracyEvaluator.Evaluate(ColourModel(), LabelledImageSet.Load(csv)));
        Assert.Contains("red.png' is labelled class 7, but the model's output 'scores' has only 6 classes", e.Message);
    }

    [Fact]
    public void WordNetIdsNeedAllThousandOrASynsetFile()
    {
        string root = Path.Combine(_temp.Path, "wnid");
        Image(Path.Combine(root, "n01443537"), "a.png", 1);   // goldfish, class 1
        Image(Path.Combine(root, "n01440764"), "b.png", 0);   // tench, class 0
        var e = Assert.Throws<LightNetException>(() => LabelledImageSet.Load(root));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("names 2 classes by WordNet id", e.Message);
        Assert.Contains("--synsets", e.Message);

        string synsets = _temp.File("LOC_synset_mapping.txt");
        File.WriteAllLines(synsets, ["n01440764 tench, Tinca tinca", "n01443537 goldfish, Carassius auratus"]);
        LabelledImageSet set = LabelledImageSet.Load(root, new LabelledSetOptions { SynsetFile = synsets });
        Assert.Equal([0, 1], set.Images.Select(i => i.Label)); // folders in sorted order: n01440764 first
        Assert.Equal(100.0, AccuracyEvaluator.Evaluate(ColourModel(), set).Top1Percent);
    }

    [Fact]
    public void ALimitTakesImagesInTurnFromEachClassAndCancellationStops()
    {
        string root = Path.Combine(_temp.Path, "many");
        for (int i = 0; i < 4; i++)
        {
            Image(Path.Combine(root, "0"), $"r{i}.png", 0);
            Image(Path.Combine(root, "2"), $"b{i}.png", 2);
        }

        LabelledImageSet set = LabelledImageSet.Load(root, new LabelledSetOptions { MaxImages = 3 });
        Assert.Equal([0, 2, 0], set.Images.Select(i => i.Label));
        Assert.Equal(8, set.TotalImages);

        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<AccuracyProgress>(p => { if (p.Done == 1) cts.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => AccuracyEvaluator.Evaluate(ColourModel(), set, null, progress, cts.Token));

        File.WriteAllText(Path.Combine(root, "0", "broken.png"), "not a png");
        LabelledImageSet withBroken = LabelledImageSet.Load(root);
        var e = Assert.Throws<LightNetException>(() => AccuracyEvaluator.Evaluate(ColourModel(), withBroken));
        Assert.Equal(ErrorCode.InvalidImage, e.Code);
        AccuracyResult tolerant = AccuracyEvaluator.Evaluate(ColourModel(), withBroken, new AccuracyOptions { MaxUnreadableImages = 1 });
        Assert.Equal((8, 8), (tolerant.Images, tolerant.Top1Correct));
        Assert.Contains("broken.png", Assert.Single(tolerant.Unreadable));
    }
}
