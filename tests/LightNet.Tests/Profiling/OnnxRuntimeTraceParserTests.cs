using System.Text;
using System.Text.Json;
using LightNet.Profiling;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace LightNet.Tests.Profiling;

public class OnnxRuntimeTraceParserTests
{
    // ---- Real traces from ONNX Runtime ----

    private static Model SmallSqueezeNet() => ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });

    /// <summary>Runs the model <paramref name="runs"/> times with profiling on and returns the trace's path.</summary>
    private static string WriteRealTrace(Model model, string prefix, GraphOptimizationLevel level, int runs)
    {
        long[] inputShape = model.Info.Inputs.Single().Shape!.Select(d => d.Value!.Value).ToArray();
        var random = new Random(5);
        var input = new DenseTensor<float>(
            Enumerable.Range(0, (int)inputShape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)random.NextDouble()).ToArray(),
            inputShape.Select(d => (int)d).ToArray());
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = level };
        // The prefix must be set before EnableProfiling: enabling captures the prefix current at that moment.
        options.ProfileOutputPathPrefix = prefix;
        options.EnableProfiling = true;
        using var session = new InferenceSession(model.ToArray(), options);
        for (int i = 0; i < runs; i++)
        {
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        }

        return session.EndProfiling();
    }

    /// <summary>An independent reading of a trace: (node name, op_name) of every kernel-time event.</summary>
    private static List<(string Name, string Op)> KernelEvents(string tracePath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(tracePath));
        return document.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
            .Select(e => (e.GetProperty("name").GetString()![..^"_kernel_time".Length], e.GetProperty("args").GetProperty("op_name").GetString()!))
            .ToList();
    }

    private static void AssertConsistent(OperatorProfile profile)
    {
        Assert.True(profile.TotalMs > 0);
        Assert.Equal(100.0, profile.Nodes.Sum(n => n.Percent), 6);
        Assert.Equal(100.0, profile.ByOpType.Sum(t => t.Percent), 6);
        Assert.Equal(profile.TotalMs, profile.Nodes.Sum(n => n.TotalMs), 9);
        Assert.Equal(profile.TotalMs, profile.ByOpType.Sum(t => t.TotalMs), 9);
        Assert.Equal(profile.Nodes.Count, profile.ByOpType.Sum(t => t.Nodes));
        Assert.Equal(profile.Nodes.OrderByDescending(n => n.TotalMs).Select(n => n.TotalMs), profile.Nodes.Select(n => n.TotalMs));
        Assert.Equal(profile.ByOpType.OrderByDescending(t => t.TotalMs).Select(t => t.TotalMs), profile.ByOpType.Select(t => t.TotalMs));
        Assert.All(profile.Nodes, n => Assert.Equal(n.TotalMs / n.Calls, n.MeanMs, 12));
        Assert.All(profile.Nodes, n => Assert.Equal("CPUExecutionProvider", n.Provider));
    }

    [Fact]
    public void RealTraceWithoutFusionNamesTheModelsConvNodes()
    {
        Model model = SmallSqueezeNet();
        string[] convNames = model.Graph.Nodes.Where(n => n.OpType == "Conv").Select(n => n.Name).Order(StringComparer.Ordinal).ToArray();
        int reluCount = model.Graph.Nodes.Count(n => n.OpType == "Relu");
        Assert.NotEmpty(convNames);

        using var temp = new TempDirectory();
        string path = WriteRealTrace(model, temp.File("basic"), GraphOptimizationLevel.ORT_ENABLE_BASIC, runs: 3);
        try
        {
            Assert.Equal(temp.Path, Path.GetDirectoryName(Path.GetFullPath(path)));
            Assert.StartsWith("basic", Path.GetFileName(path), StringComparison.Ordinal);

            OperatorProfile profile = OnnxRuntimeTraceParser.Parse(path);
            Assert.Equal(3, profile.Runs);
            AssertConsistent(profile);
            Assert.All(profile.Nodes, n => Assert.Equal(3, n.Calls));

            // Basic optimizations fuse nothing here: every Conv of the model runs under its own name.
            Assert.Equal(convNames, profile.Nodes.Where(n => n.OpType == "Conv").Select(n => n.Name).Order(StringComparer.Ordinal));
            OperatorTypeTiming conv = Assert.Single(profile.ByOpType, t => t.OpType == "Conv");
            Assert.Equal(convNames.Length, conv.Nodes);
            Assert.Equal(3 * convNames.Length, conv.Calls);
            Assert.Equal(reluCount, Assert.Single(profile.ByOpType, t => t.OpType == "Relu").Nodes);
            Assert.Equal(KernelEvents(path).Select(e => e.Name).Distinct().Order(StringComparer.Ordinal),
                profile.Nodes.Select(n => n.Name).Order(StringComparer.Ordinal));

            OperatorProfile warm = OnnxRuntimeTraceParser.Parse(path, skipFirstRuns: 1);
            Assert.Equal(2, warm.Runs);
            AssertConsistent(warm);
            Assert.All(warm.Nodes, n => Assert.Equal(2, n.Calls));
            Assert.Equal(profile.Nodes.Select(n => n.Name).Order(StringComparer.Ordinal), warm.Nodes.Select(n => n.Name).Order(StringComparer.Ordinal));
            Assert.True(warm.TotalMs < profile.TotalMs);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void RealTraceWithDefaultOptimizationsShowsWhatOnnxRuntimeFused()
    {
        Model model = SmallSqueezeNet();
        int convCount = model.Graph.Nodes.Count(n => n.OpType == "Conv");

        using var temp = new TempDirectory();
        string path = WriteRealTrace(model, temp.File("all"), GraphOptimizationLevel.ORT_ENABLE_ALL, runs: 3);
        try
        {
            OperatorProfile profile = OnnxRuntimeTraceParser.Parse(path);
            Assert.Equal(3, profile.Runs);
            AssertConsistent(profile);

            // What the trace itself says ran, read independently.
            List<(string Name, string Op)> events = KernelEvents(path);
            Assert.Equal(events.Select(e => e.Name).Distinct().Order(StringComparer.Ordinal), profile.Nodes.Select(n => n.Name).Order(StringComparer.Ordinal));
            foreach (IGrouping<string, (string Name, string Op)> op in events.GroupBy(e => e.Op))
            {
                OperatorTypeTiming timing = Assert.Single(profile.ByOpType, t => t.OpType == op.Key);
                Assert.Equal(op.Select(e => e.Name).Distinct().Count(), timing.Nodes);
                Assert.Equal(op.Count(), timing.Calls);
            }

            // Every Relu here follows a Conv and is fused into it (as FusedConv, or as an NCHWc Conv on x64), so
            // no Relu kernel runs and each model Conv survives as one convolution node.
            Assert.DoesNotContain(profile.ByOpType, t => t.OpType == "Relu");
            Assert.Equal(convCount, profile.ByOpType.Where(t => t.OpType is "Conv" or "FusedConv").Sum(t => t.Nodes));
            Assert.Equal(2, OnnxRuntimeTraceParser.Parse(path, skipFirstRuns: 1).Runs);

            // A trace cut short (as when read before EndProfiling) is rejected, naming the file.
            byte[] bytes = File.ReadAllBytes(path);
            string truncated = temp.File("truncated.json");
            File.WriteAllBytes(truncated, bytes[..(bytes.Length * 2 / 3)]);
            var e = Assert.Throws<LightNetException>(() => OnnxRuntimeTraceParser.Parse(truncated));
            Assert.Equal(ErrorCode.IOFailure, e.Code);
            Assert.Contains(truncated, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void ProfilePrefixSetAfterEnableProfilingIsIgnored()
    {
        using var temp = new TempDirectory();
        string prefix = temp.File("late");
        string path;
        using (var options = new SessionOptions())
        {
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = prefix;
            using var session = new InferenceSession(SmallSqueezeNet().ToArray(), options);
            path = session.EndProfiling();
        }

        try
        {
            Assert.False(path.StartsWith(prefix, StringComparison.Ordinal), path);
            Assert.Equal(0, OnnxRuntimeTraceParser.Parse(path).Runs);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.False(File.Exists(path));
    }

    // ---- A hand-written trace, checked exactly ----

    private const string TwoRunTrace = """
        [
        {"cat" : "Session","pid" :1,"tid" :1,"dur" :900,"ts" :1,"ph" : "X","name" :"session_initialization","args" : {}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :1,"ts" :104,"ph" : "X","name" :"conv1_fence_before","args" : {"op_name" : "Conv"}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :10,"ts" :105,"ph" : "X","name" :"conv1_kernel_time","args" : {"op_name" : "Conv","provider" : "CPUExecutionProvider","node_index" : "0","input_type_shape" : [{"float":[1,3,8,8]}],"thread_scheduling_stats" : {"main_thread": {"block_size": 1}}}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :1,"ts" :115,"ph" : "X","name" :"conv1_fence_after","args" : {"op_name" : "Conv"}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :2,"ts" :116,"ph" : "X","name" :"relu_kernel_time","args" : {"op_name" : "Relu","provider" : "CPUExecutionProvider"}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :20,"ts" :120,"ph" : "X","name" :"conv2_kernel_time","args" : {"provider" : "CPUExecutionProvider","op_name" : "Conv","extra": null}},
        {"cat" : "Session","pid" :1,"tid" :1,"dur" :40,"ts" :102,"ph" : "X","name" :"SequentialExecutor::Execute","args" : {}},
        {"cat" : "Session","pid" :1,"tid" :1,"dur" :50,"ts" :100,"ph" : "X","name" :"model_run","args" : {}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :1,"ts" :204,"ph" : "X","name" :"conv1_fence_before","args" : {"op_name" : "Conv"}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :8,"ts" :205,"ph" : "X","name" :"conv1_kernel_time","args" : {"op_name" : "Conv","provider" : "CPUExecutionProvider"}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :4,"ts" :214,"ph" : "X","name" :"relu_kernel_time","args" : {"op_name" : "Relu","provider" : "CPUExecutionProvider"}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :16,"ts" :220,"ph" : "X","name" :"conv2_kernel_time","args" : {"op_name" : "Conv","provider" : "CPUExecutionProvider"}},
        {"cat" : "Node","pid" :1,"tid" :1,"dur" :1,"ts" :236,"ph" : "X","name" :"conv2_fence_after","args" : {"op_name" : "Conv"}},
        {"cat" : "Session","pid" :1,"tid" :1,"dur" :40,"ts" :200,"ph" : "X","name" :"model_run","args" : {}, "unknown": [1, {"a": "b"}]}
        ]
        """;

    private static OperatorProfile ParseText(string json, int? skipFirstRuns = null) =>
        OnnxRuntimeTraceParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), skipFirstRuns, "hand-written.json");

    [Fact]
    public void HandWrittenTraceIsSummedExactly()
    {
        OperatorProfile profile = ParseText(TwoRunTrace);

        Assert.Equal(2, profile.Runs);
        Assert.Equal(0.060, profile.TotalMs, 12);
        Assert.Equal(
            [
                new OperatorTiming("conv2", "Conv", "CPUExecutionProvider", 2, 0.036, 0.018, 60.0),
                new OperatorTiming("conv1", "Conv", "CPUExecutionProvider", 2, 0.018, 0.009, 30.0),
                new OperatorTiming("relu", "Relu", "CPUExecutionProvider", 2, 0.006, 0.003, 10.0),
            ],
            profile.Nodes.Select(t => Rounded(t)));

        // The spread of each node's calls: conv2 took 20 and 16 µs, so its mean's interval holds 18 µs and, from two
        // calls, is far wider than ±10%.
        OperatorTiming conv2 = profile.Nodes[0];
        Assert.True(conv2.MeanCi.Contains(0.018) && conv2.MeanCi.Level == 0.95, conv2.MeanCi.ToString());
        Assert.True(conv2.Noisy);
        Assert.Equal(
            [
                new OperatorTypeTiming("Conv", 2, 4, 0.054, 90.0),
                new OperatorTypeTiming("Relu", 1, 2, 0.006, 10.0),
            ],
            profile.ByOpType.Select(t => Rounded(t)));
    }

    [Fact]
    public void SkippingTheFirstRunDropsItsNodeEvents()
    {
        OperatorProfile profile = ParseText(TwoRunTrace, skipFirstRuns: 1);

        Assert.Equal(1, profile.Runs);
        Assert.Equal(0.028, profile.TotalMs, 12);
        Assert.Equal(["conv2", "conv1", "relu"], profile.Nodes.Select(n => n.Name));
        Assert.All(profile.Nodes, n => Assert.Equal(1, n.Calls));
        Assert.Equal(0.016, profile.Nodes[0].TotalMs, 12);
        Assert.Equal(16.0 / 28 * 100, profile.Nodes[0].Percent, 9);
        Assert.Equal(24.0 / 28 * 100, profile.ByOpType.Single(t => t.OpType == "Conv").Percent, 9);
        Assert.Equal(ParseText(TwoRunTrace, skipFirstRuns: 0), ParseText(TwoRunTrace), new ProfileComparer());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(-1)]
    public void SkippingAllRunsOrANegativeCountIsAnInvalidArgument(int skip)
    {
        var e = Assert.Throws<LightNetException>(() => ParseText(TwoRunTrace, skip));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("hand-written.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EventsWithoutArgsAndOddElementsAreTolerated()
    {
        const string json = """
            [
            {"name": "mystery_kernel_time", "cat": "Node", "ts": 10, "dur": 5},
            {"name": "odd_kernel_time", "cat": "Node", "ts": 11, "dur": 3, "args": "not an object"},
            {"name": "typed_kernel_time", "cat": "Node", "ts": 12, "dur": 2.5, "args": {"op_name": 7, "provider": "CPUExecutionProvider"}},
            {"name": "no_duration_kernel_time", "cat": "Node", "ts": 13, "args": {"op_name": "Add"}},
            {"cat": "Node", "dur": 100},
            {"name": "model_run", "cat": "Session", "ts": 9, "dur": 10},
            42, "text", null, [1, 2],
            {"name": "x_kernel_time", "cat": "Kernel", "ts": 14, "dur": 50, "args": {"op_name": "Add"}},
            ]
            """;
        OperatorProfile profile = ParseText(json);

        Assert.Equal(1, profile.Runs);
        Assert.Equal(["mystery", "odd", "typed", "no_duration"], profile.Nodes.Select(n => n.Name));
        Assert.Equal(("", ""), (profile.Nodes[0].OpType, profile.Nodes[0].Provider));
        Assert.Equal("CPUExecutionProvider", profile.Nodes[2].Provider);
        Assert.Equal(0.0105, profile.TotalMs, 12);
        Assert.Equal(["", "Add"], profile.ByOpType.Select(t => t.OpType));
        Assert.Equal(3, profile.ByOpType[0].Nodes);
    }

    [Fact]
    public void TraceWithoutNodeEventsIsAnEmptyProfile()
    {
        OperatorProfile profile = ParseText("[]");
        Assert.Empty(profile.Nodes);
        Assert.Empty(profile.ByOpType);
        Assert.Equal(0, profile.Runs);
        Assert.Equal(0.0, profile.TotalMs);
    }

    [Fact]
    public void LargeTracesAndLargeEventsCrossTheReadBuffer()
    {
        var json = new StringBuilder("[\n");
        const int runs = 40;
        const int nodes = 150;
        for (int run = 0; run < runs; run++)
        {
            int start = run * 10_000;
            for (int node = 0; node < nodes; node++)
            {
                string padding = run == 7 && node == 3 ? new string('x', 300_000) : "";
                json.Append($$$"""{"cat" : "Node","dur" :{{{node + 1}}},"ts" :{{{start + 10 + node}}},"name" :"n{{{node}}}_kernel_time","args" : {"pad" : "{{{padding}}}","op_name" : "Op{{{node % 3}}}","provider" : "P"}},""").Append('\n');
            }

            json.Append($$$"""{"cat" : "Session","dur" :9000,"ts" :{{{start}}},"name" :"model_run","args" : {}},""").Append('\n');
        }

        json.Length -= 2; // the last comma
        json.Append("\n]\n");
        Assert.True(json.Length > 1_000_000);

        OperatorProfile profile = ParseText(json.ToString());
        Assert.Equal(runs, profile.Runs);
        Assert.Equal(nodes, profile.Nodes.Count);
        Assert.All(profile.Nodes, n => Assert.Equal(runs, n.Calls));
        Assert.Equal("n149", profile.Nodes[0].Name);
        Assert.Equal(runs * nodes * (nodes + 1) / 2 / 1000.0, profile.TotalMs, 9);
        Assert.Equal(["Op2", "Op1", "Op0"], profile.ByOpType.Select(t => t.OpType));

        OperatorProfile skipped = ParseText(json.ToString(), skipFirstRuns: 10);
        Assert.Equal(runs - 10, skipped.Runs);
        Assert.All(skipped.Nodes, n => Assert.Equal(runs - 10, n.Calls));
    }

    // ---- Unreadable traces ----

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("this is not json")]
    [InlineData("{\"traceEvents\": []}")]
    [InlineData("[\n{\"cat\" : \"Session\",\"dur\" :5,\"ts\" :1,\"name\" :\"model_run\",\"args\" : {}},\n")]
    [InlineData("[\n{\"cat\" : \"Session\",\"dur\" :5,\"ts\" :1,\"name\" :\"model_r")]
    [InlineData("[\n{\"cat\" : \"Node\"}]\n]")]
    [InlineData("[1, 2")]
    [InlineData("[] trailing")]
    public void MalformedOrTruncatedFileIsAnIOFailureNamingTheFile(string content)
    {
        using var temp = new TempDirectory();
        string path = temp.File("broken_trace.json");
        File.WriteAllText(path, content);

        var e = Assert.Throws<LightNetException>(() => OnnxRuntimeTraceParser.Parse(path));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);

        var fromStream = Assert.Throws<LightNetException>(() => ParseText(content));
        Assert.Equal(ErrorCode.IOFailure, fromStream.Code);
        Assert.Contains("hand-written.json", fromStream.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsAnIOFailureNamingTheFile()
    {
        using var temp = new TempDirectory();
        string path = temp.File("no_such_trace.json");
        var e = Assert.Throws<LightNetException>(() => OnnxRuntimeTraceParser.Parse(path));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyPathIsAnInvalidArgument()
    {
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => OnnxRuntimeTraceParser.Parse(" ")).Code);
    }

    // ---- Helpers ----

    private static OperatorTiming Rounded(OperatorTiming t) =>
        t with { TotalMs = Math.Round(t.TotalMs, 9), MeanMs = Math.Round(t.MeanMs, 9), Percent = Math.Round(t.Percent, 9), MeanCi = default, Noisy = false };

    private static OperatorTypeTiming Rounded(OperatorTypeTiming t) =>
        t with { TotalMs = Math.Round(t.TotalMs, 9), Percent = Math.Round(t.Percent, 9) };

    private sealed class ProfileComparer : IEqualityComparer<OperatorProfile>
    {
        public bool Equals(OperatorProfile? x, OperatorProfile? y) =>
            x is not null && y is not null && x.Runs == y.Runs && x.TotalMs == y.TotalMs &&
            x.Nodes.SequenceEqual(y.Nodes) && x.ByOpType.SequenceEqual(y.ByOpType);

        public int GetHashCode(OperatorProfile obj) => obj.Runs;
    }
}
