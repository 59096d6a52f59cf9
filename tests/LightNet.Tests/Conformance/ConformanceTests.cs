using System.Text.Json;
using LightNet.Backends;
using LightNet.Cli;
using LightNet.Conformance;
using LightNet.Onnx;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Conformance;

/// <summary>The conformance runner on tiny cases written here (no external test data): pass, wrong, refused, shape mismatch.</summary>
public sealed class ConformanceTests : IDisposable
{
    private static readonly float[] Input = [-1, 2, -3, 4, 0.5f, -0.25f];
    private static readonly float[] Relu = [0, 2, 0, 4, 0.5f, 0];

    private readonly TempDirectory _temp = new();

    public ConformanceTests()
    {
        // node/test_relu_ok: Relu with the right expected output.
        WriteCase("node/test_relu_ok", ReluModel(), Input, [2, 3], Relu, [2, 3]);
        // node/test_relu_wrong: one expected value off by 1.
        float[] off = (float[])Relu.Clone();
        off[3] += 1;
        WriteCase("node/test_relu_wrong", ReluModel(), Input, [2, 3], off, [2, 3]);
        // node/test_relu_shape: right values, expected shape [3, 2].
        WriteCase("node/test_relu_shape", ReluModel(), Input, [2, 3], Relu, [3, 2]);
        // other/test_nosuchop: an operator no backend has.
        var b = new ModelBuilder("nosuchop", 17);
        b.AddInput("x", TensorElementType.Float, 2, 3);
        b.AddNode("ConformanceTestNoSuchOp", ["x"], ["y"]);
        b.AddOutput("y", TensorElementType.Float, 2, 3);
        WriteCase("other/test_nosuchop", b.Build(), Input, [2, 3], Relu, [2, 3]);
    }

    public void Dispose() => _temp.Dispose();

    private static Model ReluModel()
    {
        var b = new ModelBuilder("relu", 17);
        b.AddInput("x", TensorElementType.Float, 2, 3);
        b.AddNode("Relu", ["x"], ["y"]);
        b.AddOutput("y", TensorElementType.Float, 2, 3);
        return b.Build();
    }

    private void WriteCase(string name, Model model, float[] input, long[] inputShape, float[] output, long[] outputShape)
    {
        string dir = Path.Combine(_temp.Path, name);
        string data = Path.Combine(dir, "test_data_set_0");
        Directory.CreateDirectory(data);
        model.Save(Path.Combine(dir, "model.onnx"));
        ConformanceCase.WriteTensor(Path.Combine(data, "input_0.pb"), TensorData.FromFloats("x", inputShape, input));
        ConformanceCase.WriteTensor(Path.Combine(data, "output_0.pb"), TensorData.FromFloats("y", outputShape, output));
    }

    [Fact]
    public void DiscoversEveryCaseRecursivelyAndFilters()
    {
        Assert.Equal(["node/test_relu_ok", "node/test_relu_shape", "node/test_relu_wrong", "other/test_nosuchop"], ConformanceRunner.DiscoverCases(_temp.Path));
        Assert.Equal(["node/test_relu_ok"], ConformanceRunner.DiscoverCases(_temp.Path, "relu_ok$"));
        var e = Assert.Throws<LightNetException>(() => ConformanceRunner.DiscoverCases(_temp.Path, "("));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    [Fact]
    public void InProcessRunReportsPassWrongRefusedAndShapeMismatchPerBackend()
    {
        var seen = new List<ConformanceCaseResult>();
        ConformanceReport report = ConformanceRunner.Run(new ConformanceOptions { TestRoot = _temp.Path, Backends = ["cpu-simd", "ort-cpu"] },
            new SyncProgress<ConformanceCaseResult>(seen.Add));
        Assert.Equal(8, report.Results.Count);
        Assert.Equal(8, seen.Count);
        foreach (string backend in new[] { "cpu-simd", "ort-cpu" })
        {
            ConformanceCaseResult ok = report.Find("node/test_relu_ok", backend)!;
            Assert.Equal(ConformanceOutcome.Pass, ok.Outcome);
            Assert.Equal("Relu", ok.Operator);
            Assert.Equal(["Relu"], ok.Operators);

            ConformanceCaseResult wrong = report.Find("node/test_relu_wrong", backend)!;
            Assert.Equal(ConformanceOutcome.Wrong, wrong.Outcome);
            Assert.Equal(1.0, wrong.MaxAbsoluteError!.Value, 6);
            Assert.Equal("y[1,0]", wrong.WorstIndex);
            Assert.Contains("1 of 6 values", wrong.Reason);

            ConformanceCaseResult shape = report.Find("node/test_relu_shape", backend)!;
            Assert.Equal(ConformanceOutcome.Wrong, shape.Outcome);
            Assert.Contains("shape mismatch: [2, 3], expected [3, 2]", shape.Reason);

            ConformanceCaseResult refused = report.Find("other/test_nosuchop", backend)!;
            Assert.Equal(ConformanceOutcome.Refused, refused.Outcome);
            Assert.NotNull(refused.ErrorCode);
            Assert.False(string.IsNullOrWhiteSpace(refused.Reason));
            Assert.DoesNotContain('\n', refused.Reason!);
            Assert.Equal("ConformanceTestNoSuchOp", refused.Operator);

            Assert.Equal(new ConformanceTotals(1, 2, 1, 0, 0), report.Totals(backend));
        }

        ConformanceCaseResult simdRefusal = report.Find("other/test_nosuchop", "cpu-simd")!;
        Assert.Equal(ErrorCode.UnsupportedOperator.ToString(), simdRefusal.ErrorCode);
        Assert.Contains("ConformanceTestNoSuchOp", simdRefusal.Detail ?? simdRefusal.Reason);
        Assert.DoesNotContain(_temp.Path, simdRefusal.Detail ?? "");
        Assert.Contains("| cpu-simd | ConformanceTestNoSuchOp | 1 | 1 |", ConformanceMarkdown.UnsupportedOperatorTable(report, top: 10));
        Assert.Empty(report.WrongWhereReferencePasses("ort-cpu"));
        ConformanceOperatorRow relu = Assert.Single(report.ByOperator(), r => r.Operator == "Relu");
        Assert.Equal(3, relu.Cases);
        Assert.Equal(1, relu.ByBackend["cpu-simd"].Pass);
    }

    [Fact]
    public void JsonRoundTripsAndMarkdownListsTotalsOperatorsAndFailures()
    {
        ConformanceReport report = ConformanceRunner.Run(new ConformanceOptions { TestRoot = _temp.Path, Backends = ["cpu-simd"] });
        string path = Path.Combine(_temp.Path, "out", "report.json");
        ConformanceJson.Write(report, path);
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path)))
        {
            Assert.Equal(ConformanceReport.CurrentSchema, doc.RootElement.GetProperty("schema").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("backends")[0].GetProperty("pass").GetInt32());
        }

        ConformanceReport again = ConformanceJson.Read(path);
        Assert.Equal(report.Results.Count, again.Results.Count);
        Assert.Equal(report.Results.Select(r => (r.Case, r.Outcome, r.Reason, r.WorstIndex)), again.Results.Select(r => (r.Case, r.Outcome, r.Reason, r.WorstIndex)));
        Assert.Empty(report.CompareTo(again));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));

        string md = ConformanceMarkdown.Format(report);
        Assert.Contains("| cpu-simd | 4 | 1 | 2 | 1 | 0 | 0 |", md);
        Assert.Contains("| Relu | 3 | 1/3 (2 wrong) |", md);
        Assert.Contains("node/test_relu_shape", md);
        var e = Assert.Throws<LightNetException>(() => ConformanceJson.Parse("{\"schema\":\"lightnet.profile/1\"}"));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    [Fact]
    public void BaselineComparisonFindsRegressionsAndWrongWhereReferencePasses()
    {
        IReadOnlyList<string> none = [];
        ConformanceCaseResult R(string c, string b, ConformanceOutcome o) => new(c, b, o, "Relu", none, null, o == ConformanceOutcome.Pass ? null : "x", null, null, 0);
        var before = new ConformanceReport("t", ["a", "ref"], [R("c1", "a", ConformanceOutcome.Pass), R("c2", "a", ConformanceOutcome.Refused), R("c1", "ref", ConformanceOutcome.Pass), R("c2", "ref", ConformanceOutcome.Pass)], 1e-3, 1e-5, ConformanceIsolation.InProcess);
        var after = new ConformanceReport("t", ["a", "ref"], [R("c1", "a", ConformanceOutcome.Wrong), R("c2", "a", ConformanceOutcome.Pass), R("c1", "ref", ConformanceOutcome.Pass), R("c2", "ref", ConformanceOutcome.Pass)], 1e-3, 1e-5, ConformanceIsolation.InProcess);
        IReadOnlyList<ConformanceChange> changes = after.CompareTo(before);
        Assert.Equal(2, changes.Count);
        Assert.True(changes.Single(c => c.Case == "c1").IsRegression);
        Assert.True(changes.Single(c => c.Case == "c2").IsImprovement);
        Assert.Equal("c1", Assert.Single(after.WrongWhereReferencePasses("ref")).Case);
        Assert.Empty(before.WrongWhereReferencePasses("ref"));
    }

    [Fact]
    public void ComparisonTreatsNaNAsEqualInfinityExactlyAndIntegersExactly()
    {
        TensorBuffer Floats(params float[] v) => TensorBuffer.FromFloats(v, [v.Length]);
        TensorData Expected(params float[] v) => TensorData.FromFloats("y", [v.Length], v);
        Assert.Null(ConformanceCase.Compare(Expected(float.NaN, float.PositiveInfinity, 1f), Floats(float.NaN, float.PositiveInfinity, 1.0005f), 1e-3, 1e-5).Problem);
        Assert.NotNull(ConformanceCase.Compare(Expected(float.NegativeInfinity), Floats(float.MinValue), 1e-3, 1e-5).Problem);
        Assert.NotNull(ConformanceCase.Compare(Expected(float.NaN), Floats(0), 1e-3, 1e-5).Problem);
        Assert.NotNull(ConformanceCase.Compare(Expected(1f), Floats(1.01f), 1e-3, 1e-5).Problem);
        Assert.Contains("shape", ConformanceCase.Compare(TensorData.FromFloats("y", [], [1f]), TensorBuffer.FromFloats([1f], [1]), 1e-3, 1e-5).Problem);

        TensorBuffer ints = TensorBuffer.Allocate(TensorElementType.Int64, [3]);
        ints.AsSpan<long>()[0] = 1;
        ints.AsSpan<long>()[1] = 2;
        ints.AsSpan<long>()[2] = 4;
        ConformanceCase.Comparison c = ConformanceCase.Compare(TensorData.FromInt64s("y", [3], [1, 2, 3]), ints, 1e-3, 1e-5);
        Assert.Contains("1 of 3 values differ", c.Problem);
        Assert.Equal("[2]", c.WorstIndex);
        Assert.Equal(1, c.MaxAbsoluteError);
    }

    [Fact]
    public void OperatorGroupingUsesTheFolderNameThenTheModelsOpTypes()
    {
        Assert.Equal("ReduceSum", ConformanceOperators.GroupKey("node/test_reduce_sum_keepdims_random", ["ReduceSum"]));
        Assert.Equal("ReduceLogSumExp", ConformanceOperators.GroupKey("test_reduce_log_sum_exp_do_not_keepdims", []));
        Assert.Equal("Softmax (expanded)", ConformanceOperators.GroupKey("test_softmax_axis_0_expanded", ["ReduceMax", "Sub", "Exp"]));
        Assert.Equal("MaxPool", ConformanceOperators.GroupKey("test_maxpool_2d_pads", ["MaxPool"]));
        Assert.Equal("BatchNormalization", ConformanceOperators.GroupKey("test_batchnorm_epsilon", ["BatchNormalization"]));
        Assert.Equal("Conv", ConformanceOperators.GroupKey("pytorch-converted/test_Conv2d_groups", ["Constant", "Conv"]));
        Assert.Equal("Gemm+Relu", ConformanceOperators.GroupKey("test_operator_mlp", ["Gemm", "Relu"]));
        Assert.Equal("(unknown)", ConformanceOperators.GroupKey("test_zzz", []));
    }

    [Fact]
    public void IsolatedRunRecordsAWorkerCrashAndATimeoutAndGoesOnWithTheNextCase()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // The fake worker is a bash script.
        }

        // A fake worker: starts up, then dies on a case named *wrong* and hangs on a case named *shape*, and passes
        // everything else to the real worker code path's format by running nothing (it reports the case as refused).
        string script = """
            read -r settings
            cases=()
            while read -r c; do cases+=("$c"); done
            echo "@@lightnet-conformance ready"
            for c in "${cases[@]}"; do
              echo "@@lightnet-conformance start $c"
              case "$c" in
                *wrong*) echo "boom" >&2; exit 134 ;;
                *shape*) sleep 60 ;;
              esac
              echo "@@lightnet-conformance result {\"case\":\"$c\",\"backend\":\"cpu-simd\",\"outcome\":\"refused\",\"operator\":\"Relu\",\"operators\":[\"Relu\"],\"errorCode\":\"UnsupportedOperator\",\"reason\":\"fake\",\"seconds\":0}"
            done
            """;
        string path = _temp.File("worker.sh");
        File.WriteAllText(path, script.Replace("\r", "", StringComparison.Ordinal));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ConformanceReport report = ConformanceRunner.Run(new ConformanceOptions
        {
            TestRoot = _temp.Path,
            Backends = ["cpu-simd"],
            Isolation = ConformanceIsolation.Isolated,
            WorkerCommand = new ConformanceWorkerCommand("bash", [path]),
            CaseTimeout = TimeSpan.FromSeconds(2),
        });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Equal(ConformanceOutcome.Refused, report.Find("node/test_relu_ok", "cpu-simd")!.Outcome);
        ConformanceCaseResult crashed = report.Find("node/test_relu_wrong", "cpu-simd")!;
        Assert.Equal(ConformanceOutcome.Crashed, crashed.Outcome);
        Assert.Contains("exit code 134", crashed.Reason);
        Assert.Contains("boom", crashed.Reason);
        Assert.Equal(ConformanceOutcome.Timeout, report.Find("node/test_relu_shape", "cpu-simd")!.Outcome);
        Assert.Equal(ConformanceOutcome.Refused, report.Find("other/test_nosuchop", "cpu-simd")!.Outcome);
    }

    [Fact]
    public void CliRunsTheCasesInWorkerProcessesWritesReportsAndChecksTheFloor()
    {
        string json = _temp.File("c.json");
        string md = _temp.File("c.md");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(["conformance", _temp.Path, "-b", "cpu-simd,ort-cpu", "--min-pass", "cpu-simd=1", "--fail-on-crash",
            "--fail-on-wrong-where-reference-passes", "--json", json, "--md", md], stdout, stderr);
        Assert.True(code == 0, $"exit {code}; stderr: {stderr}; stdout: {stdout}");
        Assert.Contains("| cpu-simd | 4 | 1 | 2 | 1 | 0 | 0 |", stdout.ToString());
        Assert.Contains("Wrong where ort-cpu is right: 0", stdout.ToString());
        Assert.Equal(ConformanceIsolation.Isolated, ConformanceJson.Read(json).Isolation);
        Assert.Contains("## Wrong where ort-cpu is right (0)", File.ReadAllText(md));

        stdout = new StringWriter();
        code = CliApp.Run(["conformance", _temp.Path, "-b", "cpu-simd", "--filter", "relu", "--min-pass", "cpu-simd=2", "--baseline", json, "--in-process"], stdout, new StringWriter());
        Assert.Equal(1, code);
        Assert.Contains("FAILED: cpu-simd passes 1 cases, below the floor of 2 (--min-pass).", stdout.ToString());
        Assert.Contains("Since the baseline: 0 regressed", stdout.ToString());

        var err = new StringWriter();
        Assert.Equal(2, CliApp.Run(["conformance", _temp.Path, "-b", "cpu-simd", "--min-pass", "cpu-simd"], new StringWriter(), err));
        Assert.StartsWith("error [Usage]: --min-pass takes BACKEND=N", err.ToString());
    }
}
