using LightNet.Backends;
using LightNet.Cli;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Profiling;

/// <summary>LayerKind, ModelLayers and LayerBreakdown: the per-layer comparison behind <c>lightnet compare --per-layer</c>.</summary>
public class LayerBreakdownTests
{
    private static readonly ZooOptions Small = new() { Resolution = 64, Classes = 10 };

    private static Dictionary<string, int> LayerCounts(string zooName) =>
        ModelLayers.Of(ModelZoo.Create(zooName, Small)).Layers.GroupBy(l => l.Kind.Name).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void ZooModelsClassifyByKernelGroupAndOperator()
    {
        // MobileNetV2: a 3×3 stem, 17 depthwise 3×3 and 34 pointwise convolutions, the pool and the classifier; each
        // convolution's BatchNormalization, Clip and residual Add belong to its layer.
        // Nothing is left as an activation, normalization or elementwise layer; the Flatten before the classifier and the
        // Identity on the output are data movement.
        Assert.Equal(new Dictionary<string, int>
        {
            ["conv 1×1 (pointwise)"] = 34, ["conv 3×3 depthwise"] = 17, ["conv 3×3 dense"] = 1, ["fully connected"] = 1,
            ["global average pool"] = 1, ["data movement"] = 2,
        }, LayerCounts("mobilenet_v2"));

        // ResNet-18: the 7×7 stem, 16 dense 3×3, 3 strided 1×1 shortcuts, the max pool; the residual Add and its Relu join a convolution.
        Assert.Equal(new Dictionary<string, int>
        {
            ["conv 7×7 dense"] = 1, ["conv 3×3 dense"] = 16, ["conv 1×1 (pointwise)"] = 3, ["max pool 3×3"] = 1,
            ["global average pool"] = 1, ["fully connected"] = 1, ["data movement"] = 2,
        }, LayerCounts("resnet18"));

        // MobileNetV3: 5×5 depthwise layers, and the squeeze-and-excitation Mul, which no backend fuses, stays elementwise.
        Dictionary<string, int> v3 = LayerCounts("mobilenet_v3_large");
        Assert.True(v3["conv 5×5 depthwise"] > 0);
        Assert.True(v3["elementwise"] > 0);

        // ShuffleNetV2: the channel shuffle and split are data movement.
        Dictionary<string, int> shuffle = LayerCounts("shufflenet_v2_x1_0");
        Assert.True(shuffle["data movement"] > 0);
        Assert.True(shuffle["conv 3×3 depthwise"] > 0);
    }

    [Fact]
    public void ALayerHoldsItsEpilogueAndReportedNamesFindIt()
    {
        Model model = ModelZoo.Create("mobilenet_v2", Small);
        ModelLayers layers = ModelLayers.Of(model);
        ModelLayer stem = layers.Layers[0];

        Assert.Equal("features.0/Conv_0", stem.Name);
        Assert.Equal("conv 3×3 dense", stem.Kind.Name);
        Assert.Equal(LayerCategory.Convolution, stem.Kind.Category);
        Assert.Equal(3, stem.Nodes.Count); // Conv, BatchNormalization, Clip
        Assert.True(stem.Macs > 0);
        string clip = stem.Nodes[^1];

        // cpu-simd reports the convolution's name; ONNX Runtime names a fused NCHWc node after the value it writes.
        Assert.Same(stem, layers.Find("features.0/Conv_0"));
        Assert.Same(stem, layers.Find(clip));
        Assert.Same(stem, layers.Find(model.Graph.Nodes.Single(n => n.Name == clip).Outputs[0] + "_nchwc"));
        Assert.Null(layers.Find("ReorderOutput_token_3"));
        Assert.Null(layers.Find(""));

        // The longest name wins: features.1/Conv_3 must not be taken for features.1/Conv_30 or the other way round.
        ModelLayer conv3 = layers.Layers.Single(l => l.Name == "features.1/Conv_3");
        Assert.Same(conv3, layers.Find("features.1/Conv_3_fused"));
    }

    private static OperatorTiming Node(string name, string opType, double totalMs, int calls = 4) =>
        new(name, opType, "test", calls, totalMs, totalMs / calls, 0);

    private static OperatorProfile Profile(int runs, params OperatorTiming[] nodes) => new(nodes, [], runs, nodes.Sum(n => n.TotalMs));

    [Fact]
    public void FusedAndSeparateNodesMeetInTheSameLayerAndUnmatchedNamesAreKept()
    {
        Model model = ModelZoo.Create("mobilenet_v2", Small);
        ModelLayers layers = ModelLayers.Of(model);
        ModelLayer stem = layers.Layers[0];
        ModelLayer depthwise = layers.Layers.First(l => l.Kind.Name == "conv 3×3 depthwise");
        ModelLayer fc = layers.Layers.Single(l => l.Kind.Name == "fully connected");
        string stemOutput = model.Graph.Nodes.Single(n => n.Name == stem.Nodes[^1]).Outputs[0];

        // "mine" fuses the stem's epilogue; "theirs" runs the convolution and its Clip as two nodes, names another after its
        // output value, inserts a layout conversion and reports a node the model does not have.
        OperatorProfile mine = Profile(4, Node(stem.Name, "Conv+Clip", 8), Node(depthwise.Name, "Conv+Clip", 4), Node(fc.Name, "Dense", 2));
        OperatorProfile theirs = Profile(2, Node(stem.Name, "Conv", 2, 2), Node(stem.Nodes[^1], "Clip", 1, 2),
            Node(depthwise.Nodes[^1] + "_output_0_nchwc", "Conv", 2, 2), Node(fc.Name, "Gemm", 1, 2),
            Node("ReorderOutput", "ReorderOutput", 0.5, 2), Node("Mystery_9", "Custom", 1.5, 2));

        LayerBreakdown b = LayerBreakdown.Create(model,
            [new BackendOperatorProfile("mine", mine, 4.0), new BackendOperatorProfile("theirs", theirs, 5.0)], baseline: "theirs");

        Assert.Equal(["mine", "theirs"], b.Backends);
        Assert.Equal("mobilenet_v2", b.Model);
        LayerKindRow dense = b.Kinds.Single(k => k.Kind == "conv 3×3 dense");
        Assert.Equal(1, dense.Layers);
        Assert.Equal(stem.Macs, dense.Macs);
        Assert.Equal(2.0, dense.Times[0].Ms, 12);   // 8 ms over 4 runs
        Assert.Equal(1.5, dense.Times[1].Ms, 12);   // (2 + 1) ms over 2 runs, two nodes
        Assert.Equal(2, dense.Times[1].Nodes);
        Assert.Equal(2.0 / 1.5, dense.Times[0].Ratio, 12);
        Assert.Equal(1.0, dense.Times[1].Ratio, 12);

        // The depthwise row has one layer's time, though the model has more depthwise layers.
        LayerKindRow dw = b.Kinds.Single(k => k.Kind == "conv 3×3 depthwise");
        Assert.Equal(layers.Layers.Count(l => l.Kind.Name == "conv 3×3 depthwise"), dw.Layers);
        Assert.Equal(1.0, dw.Times[1].Ms, 12);

        // Nothing is dropped: the rows add up to the sum of the operators, which the gap compares with the median.
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(b.Totals[i].OperatorsMs, b.Kinds.Sum(k => k.Times[i].Ms), 9);
            Assert.Equal(100, b.Kinds.Sum(k => k.Times[i].Percent), 9);
        }

        Assert.Equal(3.5, b.Totals[0].OperatorsMs, 12);
        Assert.Equal(0.5, b.Totals[0].GapMs, 12);
        Assert.Equal(4.0, b.Totals[1].OperatorsMs, 12);
        Assert.Equal(1.0, b.Totals[1].GapMs, 12);
        Assert.Equal(LayerKind.LayoutConversion.Name, b.Kinds[^2].Kind);
        Assert.Equal(0.25, b.Kinds[^2].Times[1].Ms, 12);
        LayerKindRow unmatched = b.Kinds[^1];
        Assert.Equal(LayerKind.Unmatched.Name, unmatched.Kind);
        Assert.Equal(0.75, unmatched.Times[1].Ms, 12);
        Assert.Equal(0, unmatched.Times[0].Nodes);
        UnmatchedNode mystery = Assert.Single(b.Totals[1].Unmatched);
        Assert.Equal(("Mystery_9", "Custom"), (mystery.Name, mystery.OpType));
        Assert.Empty(b.Totals[0].Unmatched);

        // Per layer, in the model's order, with one time per backend.
        Assert.Equal([stem.Name, depthwise.Name, fc.Name], b.Layers.Select(l => l.Name));
        Assert.Equal([2.0, 1.5], b.Layers[0].Ms);

        // The table: one row per kind and the three total rows; the backend without an unmatched node shows none.
        IReadOnlyList<string> header = LayerBreakdownTable.Header(b);
        Assert.Equal("mine / theirs", header[^1]);
        IReadOnlyList<IReadOnlyList<string>> rows = LayerBreakdownTable.Rows(b);
        Assert.Equal(b.Kinds.Count + 3, rows.Count);
        Assert.All(rows, r => Assert.Equal(header.Count, r.Count));
        Assert.Equal(LayerBreakdownTable.NotReported, rows[b.Kinds.Count - 1][3]);
        Assert.Equal("1.33×", rows.Single(r => r[0] == "conv 3×3 dense")[^1]);
        Assert.Contains(LayerBreakdownTable.Notes(b), n => n.Contains("Mystery_9 (Custom", StringComparison.Ordinal));
        Assert.Contains(LayerBreakdownTable.Notes(b), n => n.StartsWith("Layers where mine spends the most beyond theirs: features.0/Conv_0", StringComparison.Ordinal));
    }

    [Fact]
    public void BadProfilesAreRefused()
    {
        Model model = ModelZoo.Create("squeezenet1_1", Small);
        OperatorProfile p = Profile(1, Node("x", "Conv", 1, 1));
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => LayerBreakdown.Create(model, [])).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => LayerBreakdown.Create(model,
            [new BackendOperatorProfile("a", p, 1), new BackendOperatorProfile("a", p, 1)])).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => LayerBreakdown.Create(model,
            [new BackendOperatorProfile("a", null!, 1)])).Code);
        var e = Assert.Throws<LightNetException>(() => LayerBreakdown.Create(model, [new BackendOperatorProfile("a", p, 1)], baseline: "b"));
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void JsonRoundTripsTheBreakdownAndMarkdownShowsIt()
    {
        Model model = ModelZoo.Create("squeezenet1_1", Small);
        string first = model.Graph.Nodes[0].Name;
        LayerBreakdown b = LayerBreakdown.Create(model, [
            new BackendOperatorProfile("cpu-simd", Profile(2, Node(first, "Conv+Relu", 3, 2), Node("odd", "X", 1, 2)), double.NaN),
            new BackendOperatorProfile("ort-cpu", Profile(2, Node(first, "Conv", 2, 2)), 1.2)], baseline: "ort-cpu");
        var report = new ComparisonReport
        {
            CreatedUtc = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero),
            Environment = new EnvironmentInfo { CpuModel = "Test CPU", LogicalCores = 2 },
            Baseline = "ort-cpu",
            Settings = new MeasurementSettings { WarmupRuns = 1, Runs = 5, MinRuns = 5, BatchSize = 1 },
            Layers = [b],
        };

        string json = ComparisonJson.Format(report);
        ComparisonReport back = ComparisonJson.Parse(json);

        Assert.Contains("\"schema\": \"lightnet.comparison/1.2\"", json);
        Assert.Contains("\"category\": \"Convolution\"", json);
        Assert.Equal(json, ComparisonJson.Format(back));
        LayerBreakdown again = Assert.Single(back.Layers);
        Assert.Equal(b.Kinds.Select(k => (k.Kind, k.Category, k.Layers, k.Macs)), again.Kinds.Select(k => (k.Kind, k.Category, k.Layers, k.Macs)));
        Assert.Equal(b.Kinds.SelectMany(k => k.Times), again.Kinds.SelectMany(k => k.Times));
        Assert.True(double.IsNaN(again.Totals[0].MedianMs));
        Assert.Equal("odd", Assert.Single(again.Totals[0].Unmatched).Name);

        // A 1.1 file (no layers) still reads; a missing list reads as null, as for the other fields added since 1.0.
        ComparisonReport old = ComparisonJson.Parse(json.Replace("lightnet.comparison/1.2", "lightnet.comparison/1.1", StringComparison.Ordinal)
            [..json.IndexOf("\"layers\"", StringComparison.Ordinal)].TrimEnd().TrimEnd(',') + "\n}");
        Assert.Empty(old.Layers ?? []);
        Assert.Contains("# Backend comparison", ComparisonMarkdown.Format(old));

        string md = ComparisonMarkdown.Format(report);
        Assert.Contains("## squeezenet1_1: by layer kind", md);
        Assert.Contains("| layer kind | layers | GMAC | cpu-simd ms | share | GMAC/s | ort-cpu ms | share | GMAC/s | cpu-simd / ort-cpu |", md);
        Assert.Contains("| other / unmatched |", md);
        Assert.Contains("| sum of operators |", md);
    }

    [Fact]
    public void ComparePerLayerMapsEveryRealNodeOfBothEngines()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(["compare", "--models", "mobilenet_v2", "--backends", "cpu-simd,ort-cpu", "--baseline", "ort-cpu",
            "--shape", "input=1x3x64x64", "--threads", "1", "--quick", "--runs", "2", "--min-time", "0", "--warmup", "1", "--per-layer", "--json", "-"],
            stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        ComparisonReport report = ComparisonJson.Parse(stdout.ToString());
        LayerBreakdown b = Assert.Single(report.Layers);
        Assert.Equal(["cpu-simd", "ort-cpu"], b.Backends);
        Assert.Equal("ort-cpu", b.Baseline);
        // Both engines' names, fused or not, map back to the model: nothing is unmatched.
        Assert.All(b.Totals, t => Assert.Empty(t.Unmatched));
        Assert.DoesNotContain(b.Kinds, k => k.Category == LayerCategory.Unmatched);
        LayerKindRow pointwise = b.Kinds.Single(k => k.Kind == "conv 1×1 (pointwise)");
        Assert.Equal(34, pointwise.Layers);
        Assert.All(pointwise.Times, t => Assert.True(t.Nodes >= 34 && t.Ms > 0, $"{t.Backend}: {t.Nodes} nodes, {t.Ms} ms"));
        Assert.All(b.Totals, t => Assert.True(t.Runs >= 1 && t.OperatorsMs > 0 && t.MedianMs > 0));
    }
}
