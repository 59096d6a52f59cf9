using LightNet.Backends;
using LightNet.Compression;
using LightNet.Onnx;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Compression;

public class QuantizerTests
{
    private static readonly Lazy<Model> s_net = new(() => CompressionTestModels.ConvNet());

    private static CalibrationData Calib(int n = 8) => CalibrationData.FromTensors(CompressionTestModels.Inputs(n).ToList());

    [Fact]
    public void StaticQuantizationFoldsBatchNormFusesReluAndStaysClose()
    {
        Model q = Quantizer.QuantizeStatic(s_net.Value, Calib(), new QuantizationOptions { ReduceRange = true });
        Assert.DoesNotContain(q.Graph.Nodes, n => n.OpType == "BatchNormalization");
        // relu1 and relu2 follow a Conv with UINT8 activations: both are absorbed by the zero point.
        Assert.DoesNotContain(q.Graph.Nodes, n => n.OpType == "Relu");
        Assert.Equal(4, q.Graph.Nodes.Count(n => n.OpType == "Conv" || n.OpType == "Gemm"));
        Assert.All(q.Graph.Nodes.Where(n => n.OpType is "Conv" or "Gemm"),
            n => Assert.Equal("DequantizeLinear", q.Graph.Nodes.Single(p => p.Outputs.Contains(n.Inputs[1])).OpType));
        // Per-channel weights: INT8 tensor, one scale per output channel (axis 0).
        TensorData w2 = q.Graph.Initializers.Values.Single(t => t.ElementType == TensorElementType.Int8 && t.Dims.SequenceEqual([6L, 4, 3, 3]));
        Assert.NotNull(w2);
        Node dq = q.Graph.Nodes.Single(n => n.OpType == "DequantizeLinear" && n.Inputs[0] == w2.Name);
        Assert.Equal([6L], q.Graph.Initializers[dq.Inputs[1]].Dims);
        Assert.Equal(0, dq.GetInt("axis", -1));
        // Bias as INT32.
        Assert.Contains(q.Graph.Initializers.Values, t => t.ElementType == TensorElementType.Int32 && t.Dims.SequenceEqual([6L]));
        Assert.Equal(17, q.Opset);
        Assert.Equal("y", q.Graph.Outputs.Single().Name);

        foreach (IReadOnlyDictionary<string, TensorBuffer> input in CompressionTestModels.Inputs(3, seed: 99))
        {
            double cos = CompressionTestModels.Cosine(CompressionTestModels.Run(s_net.Value, input), CompressionTestModels.Run(q, input));
            Assert.True(cos > 0.99, $"cosine {cos:F5}");
        }
    }

    [Fact]
    public void PerTensorUsesOneScaleAndExcludedNodesStayFloat()
    {
        Model q = Quantizer.QuantizeStatic(s_net.Value, Calib(4),
            new QuantizationOptions { PerChannel = false, ExcludeNodes = ["conv3"], ExcludeOpTypes = ["Gemm"] });
        Node conv2 = q.Graph.Nodes.Single(n => n.Name == "conv2");
        Node dq = q.Graph.Nodes.Single(n => n.Outputs.Contains(conv2.Inputs[1]));
        Assert.Empty(q.Graph.Initializers[dq.Inputs[1]].Dims);
        Assert.Equal("w3", q.Graph.Nodes.Single(n => n.Name == "conv3").Inputs[1]);
        Assert.Equal("wg", q.Graph.Nodes.Single(n => n.Name == "fc").Inputs[1]);
        Assert.Equal(TensorElementType.Float, q.Graph.Initializers["w3"].ElementType);
        Assert.Equal(5, CompressionTestModels.Run(q, CompressionTestModels.Inputs(1).First()).Length);
    }

    [Fact]
    public void FirstAndLastLayersCanStayFloat()
    {
        Model q = Quantizer.QuantizeStatic(s_net.Value, Calib(4), new QuantizationOptions { KeepFirstLayerFloat = true, KeepLastLayerFloat = true });
        Assert.Equal("wg", q.Graph.Nodes.Single(n => n.Name == "fc").Inputs[1]);
        Node conv1 = q.Graph.Nodes.Single(n => n.Name == "conv1");
        Assert.Equal(TensorElementType.Float, q.Graph.Initializers[conv1.Inputs[1]].ElementType);
        Assert.Equal("DequantizeLinear", q.Graph.Nodes.Single(n => n.Outputs.Contains(q.Graph.Nodes.Single(c => c.Name == "conv2").Inputs[1])).OpType);
    }

    [Theory]
    [InlineData(CalibrationMethod.Percentile)]
    [InlineData(CalibrationMethod.Entropy)]
    public void HistogramMethodsRunTwoPassesAndStayClose(CalibrationMethod method)
    {
        var seen = new List<CalibrationProgress>();
        Model q = Quantizer.QuantizeStatic(s_net.Value, Calib(), new QuantizationOptions { Method = method, ReduceRange = true }, new SyncProgress<CalibrationProgress>(seen.Add));
        Assert.Equal(2, seen.Max(p => p.Passes));
        Assert.Equal(16, seen.Count);
        Assert.Equal(new CalibrationProgress(2, 2, 8, 8), seen[^1]);
        IReadOnlyDictionary<string, TensorBuffer> input = CompressionTestModels.Inputs(1, seed: 5).First();
        Assert.True(CompressionTestModels.Cosine(CompressionTestModels.Run(s_net.Value, input), CompressionTestModels.Run(q, input)) > 0.98);
    }

    [Fact]
    public void ManyTensorsAreCalibratedInSeveralPasses()
    {
        var seen = new List<CalibrationProgress>();
        Model q = Quantizer.QuantizeStatic(s_net.Value, Calib(2), new QuantizationOptions { MaxTensorsPerPass = 3 }, new SyncProgress<CalibrationProgress>(seen.Add));
        int passes = seen.Max(p => p.Passes);
        Assert.True(passes >= 3, $"{passes} passes");
        Assert.Equal(passes * 2, seen.Count);
        Assert.Equal(5, CompressionTestModels.Run(q, CompressionTestModels.Inputs(1).First()).Length);
    }

    [Fact]
    public void EntropyAndPercentileThresholdsClipOutliers()
    {
        // A Laplace-like |x| histogram: the long, thin tail is not worth the resolution it would cost.
        var hist = new long[2048];
        for (int i = 0; i < hist.Length; i++) hist[i] = (long)Math.Round(1e6 * Math.Exp(-i / 60.0));
        float entropy = Calibrator.EntropyThreshold(hist, 1f);
        Assert.InRange(entropy, 200, 1200);
        long total = hist.Sum();
        float p99 = Calibrator.PercentileThreshold(hist, 1f, 99);
        Assert.True(hist.Take((int)p99).Sum() >= 0.99 * total && hist.Take((int)p99 - 1).Sum() < 0.99 * total);
        Assert.Equal(Array.FindLastIndex(hist, h => h > 0) + 1f, Calibrator.PercentileThreshold(hist, 1f, 100));
    }

    [Fact]
    public void OldOpsetIsRaisedTo13WithClipAttributesMovedToInputs()
    {
        var b = new ModelBuilder("old", 9);
        b.AddInput("x", TensorElementType.Float, 1, 2, 4, 4);
        b.AddInitializer(TensorData.FromFloats("w", [3, 2, 1, 1], [0.5f, -0.2f, 0.1f, 0.9f, -0.7f, 0.3f]));
        b.AddNode("Conv", ["x", "w"], ["c"], "conv");
        // A lower bound above 0: code 0 (value 0) is outside it, so the Clip is not folded into the Conv's quantization.
        b.AddNode("Clip", ["c"], ["y"], "clip", NodeAttribute.Float("min", 0.1f), NodeAttribute.Float("max", 0.6f));
        b.AddOutput("y", TensorElementType.Float, 1, 3, 4, 4);
        Model m = b.Build();
        var inputs = Enumerable.Range(0, 4).Select(i => (IReadOnlyDictionary<string, TensorBuffer>)new Dictionary<string, TensorBuffer>
        {
            ["x"] = TensorBuffer.FromFloats(Enumerable.Range(0, 32).Select(k => MathF.Sin(k + i)).ToArray(), [1, 2, 4, 4]),
        }).ToList();
        Model q = Quantizer.QuantizeStatic(m, CalibrationData.FromTensors(inputs));
        Assert.Equal(13, q.Opset);
        Node clip = q.Graph.Nodes.Single(n => n.OpType == "Clip");
        Assert.Equal(3, clip.Inputs.Count);
        float[] expected = CompressionTestModels.Run(m, inputs[0]), actual = CompressionTestModels.Run(q, inputs[0]);
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 0.03f));
    }

    [Theory]
    [InlineData(0f, 6f, true)]     // ReLU6: the UINT8 quantization of its output clips the same way
    [InlineData(-0.5f, 0.3f, true)] // any bounds around the calibrated range
    [InlineData(0.2f, 6f, false)]  // code 0 is the value 0, below the Clip: it must stay
    public void ClipAfterConvIsFoldedOnlyWhenTheQuantizationClipsTheSame(float lo, float hi, bool folded)
    {
        var b = new ModelBuilder("relu6", 13);
        b.AddInput("x", TensorElementType.Float, 1, 2, 4, 4);
        b.AddInitializer(TensorData.FromFloats("w", [3, 2, 1, 1], [0.5f, -0.2f, 0.1f, 0.9f, -0.7f, 0.3f]));
        b.AddInitializer(TensorData.FromFloats("lo", [], [lo]));
        b.AddInitializer(TensorData.FromFloats("hi", [], [hi]));
        b.AddNode("Conv", ["x", "w"], ["c"], "conv");
        b.AddNode("Clip", ["c", "lo", "hi"], ["y"], "clip");
        b.AddOutput("y", TensorElementType.Float, 1, 3, 4, 4);
        Model m = b.Build();
        var inputs = Enumerable.Range(0, 4).Select(i => (IReadOnlyDictionary<string, TensorBuffer>)new Dictionary<string, TensorBuffer>
        {
            ["x"] = TensorBuffer.FromFloats(Enumerable.Range(0, 32).Select(k => 2 * MathF.Sin(k + i)).ToArray(), [1, 2, 4, 4]),
        }).ToList();
        Model q = Quantizer.QuantizeStatic(m, CalibrationData.FromTensors(inputs));
        Assert.Equal(folded ? 0 : 1, q.Graph.Nodes.Count(n => n.OpType == "Clip"));
        float[] expected = CompressionTestModels.Run(m, inputs[0]), actual = CompressionTestModels.Run(q, inputs[0]);
        float step = (Math.Min(hi, expected.Max()) - Math.Min(0, expected.Min())) / 255f;
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 0.03f + step));
    }

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        Model q = Quantizer.QuantizeStatic(s_net.Value, Calib(2));
        var e = Assert.Throws<LightNetException>(() => Quantizer.QuantizeStatic(q, Calib(2)));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("already quantized", e.Message);

        var b = new ModelBuilder("relu", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4);
        b.AddNode("Relu", ["x"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float, 1, 4);
        e = Assert.Throws<LightNetException>(() => Quantizer.QuantizeStatic(b.Build(), CalibrationData.Synthetic(b.Build(), 1)));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("no quantizable", e.Message);
        Assert.Contains("Relu", e.Message);

        e = Assert.Throws<LightNetException>(() => Quantizer.QuantizeStatic(s_net.Value, CalibrationData.FromTensors([])));
        Assert.Contains("empty", e.Message);

        e = Assert.Throws<LightNetException>(() => Quantizer.QuantizeStatic(s_net.Value, Calib(1), new QuantizationOptions { Percentile = 20, MaxCalibrationSamples = 0 }));
        Assert.Contains("Percentile", e.Message);
        Assert.Contains("MaxCalibrationSamples", e.Message);

        var wrong = new Dictionary<string, TensorBuffer> { ["image"] = TensorBuffer.FromFloats(new float[192], [1, 3, 8, 8]) };
        e = Assert.Throws<LightNetException>(() => Quantizer.QuantizeStatic(s_net.Value, CalibrationData.FromTensors([wrong])));
        Assert.Contains("no tensor for input 'x'", e.Message);

        e = Assert.Throws<LightNetException>(() => Quantizer.QuantizeDynamic(b.Build()));
        Assert.Contains("no Gemm or MatMul", e.Message);
    }

    [Fact]
    public void CancellationStopsCalibration()
    {
        using var cts = new CancellationTokenSource();
        int reports = 0;
        var progress = new SyncProgress<CalibrationProgress>(_ => { reports++; cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => Quantizer.QuantizeStatic(s_net.Value, Calib(8), null, progress, cts.Token));
        Assert.Equal(1, reports);
    }

    [Fact]
    public void DynamicQuantizationStoresInt8WeightsOfMatMul()
    {
        Model m = TestModels.Tiny();
        Model q = Quantizer.QuantizeDynamic(m, new QuantizationOptions { PerChannel = true });
        Node mm = q.Graph.Nodes.Single(n => n.OpType == "MatMul");
        Node dq = q.Graph.Nodes.Single(n => n.Outputs.Contains(mm.Inputs[1]));
        Assert.Equal("DequantizeLinear", dq.OpType);
        Assert.Equal(TensorElementType.Int8, q.Graph.Initializers[dq.Inputs[0]].ElementType);
        Assert.Equal(1, dq.GetInt("axis", -1));
        Assert.DoesNotContain(q.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        var input = new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.FromFloats([1f, -2f, 0.5f, 3f], [1, 4]) };
        float[] expected = CompressionTestModels.Run(m, input), actual = CompressionTestModels.Run(q, input);
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 0.02f));
    }
}
