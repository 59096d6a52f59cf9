using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.NoEmit;
using BenchmarkDotNet.Validators;
using LightNet.Backends;
using LightNet.BenchmarkDotNet;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.BenchmarkDotNet;

/// <summary>The attribute/config route, the pipeline base and the operator-profile exporter, run in-process with BDN's dry job.</summary>
[Collection(nameof(BenchmarkHelpersTests))]
public class ConfigRouteTests
{
    [LightNetConfig]
    public class AttributeSuite
    {
        [LightNetModels("squeezenet1_1", "squeezenet1_1", "models/mine.onnx")]
        public string Model { get; set; } = "";

        [LightNetBackends("cpu-simd", "no-such-backend", "ort-directml")]
        public string Backend { get; set; } = "";

        [Benchmark]
        public int Run() => Model.Length + Backend.Length;
    }

    [Fact]
    public void Attributes_give_parameters_columns_and_the_validator_without_a_base_class()
    {
        BenchmarkRunInfo info = BenchmarkConverter.TypeToBenchmarks(typeof(AttributeSuite), DefaultConfig.Instance);
        Assert.Equal(["cpu-simd"], info.BenchmarksCases.Select(c => (string)c.Parameters["Backend"]).Distinct());
        string[] models = info.BenchmarksCases.Select(c => (string)c.Parameters["Model"]).Distinct().ToArray();
        Assert.Equal(2, models.Length);
        Assert.Contains("squeezenet1_1", models);
        Assert.Contains(models, m => Path.IsPathFullyQualified(m) && m.EndsWith("mine.onnx", StringComparison.Ordinal));
        Assert.Contains(UnavailableBackendsValidator.Instance, info.Config.GetValidators());
        // BDN's own providers need a summary; the simple provider holding LightNet's columns does not.
        Assert.Contains(info.Config.GetColumnProviders().SelectMany(ColumnsWithoutSummary), c => c is GmacPerSecondColumn);
        Assert.DoesNotContain(info.Config.GetExporters(), e => e is OperatorProfileExporter);

        ValidationError[] errors = UnavailableBackendsValidator.Instance.Validate(new ValidationParameters(info.BenchmarksCases, info.Config)).ToArray();
        Assert.Equal(2, errors.Length);
        Assert.Contains(errors, e => e.Message.Contains("'no-such-backend'", StringComparison.Ordinal) && e.Message.Contains("Unknown backend", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("'ort-directml'", StringComparison.Ordinal));
    }

    private static IEnumerable<global::BenchmarkDotNet.Columns.IColumn> ColumnsWithoutSummary(global::BenchmarkDotNet.Columns.IColumnProvider provider)
    {
        try
        {
            return provider.GetColumns(null!).ToArray();
        }
        catch (NullReferenceException)
        {
            return [];
        }
    }

    [Fact]
    public void Config_helper_adds_the_exporter_on_request()
    {
        Assert.Contains(OperatorProfileExporter.Default, LightNetBenchmarkConfig.Create(operatorProfiles: true).GetExporters());
        Assert.DoesNotContain(OperatorProfileExporter.Default, LightNetBenchmarkConfig.Create().GetExporters());
        Assert.Contains(UnavailableBackendsValidator.Instance, LightNetBenchmarkConfig.Create().GetValidators());
    }

    /// <summary>Set by the test before BenchmarkDotNet builds the suite's parameters (in-process, so the static is seen).</summary>
    public static string TinyModelPath { get; set; } = "";

    public class TinySuite : ModelBenchmarkBase
    {
        public override IEnumerable<string> Models => [TinyModelPath];

        public override IEnumerable<string> Backends => ["cpu-simd", "no-such-backend"];
    }

    [Fact]
    public void Exporter_writes_each_cases_operator_profile_into_the_results_folder()
    {
        using var temp = new TempDirectory();
        TinyModelPath = temp.File("tiny.onnx");
        TestModels.Tiny().Save(TinyModelPath);
        var exporter = new OperatorProfileExporter(new ProfileOptions
        {
            WarmupRuns = 1, WarmupSeconds = 0, SteadyStateWarmup = false, Runs = 3, MinSeconds = 0, MaxSeconds = 1,
            PerOperatorRuns = 3, PerOperatorSeconds = 0, SampleMemory = false,
        });
        IConfig config = ManualConfig.CreateEmpty()
            .AddJob(Job.Dry.WithToolchain(InProcessNoEmitToolchain.Instance))
            .AddLogger(NullLogger.Instance)
            .AddExporter(exporter)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            .WithArtifactsPath(temp.File("artifacts"));

        Summary summary = BenchmarkRunner.Run<TinySuite>(config);

        Assert.Single(summary.Reports);
        Assert.True(summary.Reports[0].Success);
        Assert.Contains(summary.ValidationErrors, e => !e.IsCritical && e.Message.Contains("'no-such-backend'", StringComparison.Ordinal));
        string[] files = Directory.GetFiles(summary.ResultsDirectoryPath, "*-operators-*");
        Assert.Equal(["tiny-cpu-simd-t1.json", "tiny-cpu-simd-t1.md"], files.Select(f => Path.GetFileName(f)[(Path.GetFileName(f).IndexOf("-operators-", StringComparison.Ordinal) + 11)..]).Order());
        var report = ReportJson.Read(files.Single(f => f.EndsWith(".json", StringComparison.Ordinal)));
        // cpu-simd fuses MatMul + Add + Relu into one step, named after the first node; 3 profiled runs (the warm-up skipped).
        OperatorTiming step = Assert.Single(report.Operators);
        Assert.Equal("matmul", step.Name);
        Assert.Equal(3, step.Calls);
        Assert.Equal(100, step.Percent, 6);
        Assert.Equal(1, report.Settings.ThreadsUsed);
        Assert.Contains("matmul", File.ReadAllText(files.Single(f => f.EndsWith(".md", StringComparison.Ordinal))), StringComparison.Ordinal);
    }

    public class PipelineSuite : PipelineBenchmarkBase
    {
        public override int TopK => 3;

        public (int Index, float Probability) FrameTop1 => FrameTop[0];
    }

    [Fact]
    public void Pipeline_base_classifies_the_encoded_image_and_the_decoded_frame_alike()
    {
        using var temp = new TempDirectory();
        string path = temp.File("squeezenet64.onnx");
        ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64 }).Save(path);
        var suite = new PipelineSuite { Model = path, Backend = "cpu-simd", Threads = 1 };
        suite.Setup();
        try
        {
            IReadOnlyList<LightNet.Postprocessing.Classification> encoded = suite.EncodedImage();
            Assert.Equal(3, encoded.Count);
            Assert.Equal(3, suite.Frame());
            Assert.Equal(3, suite.Frame());
            Assert.Equal(encoded[0].Index, suite.FrameTop1.Index);
            Assert.Equal(encoded[0].Probability, suite.FrameTop1.Probability, 1e-3f);
            // The same pixels (the frame is the decoded image) give the same classes.
            IReadOnlyList<LightNet.Postprocessing.Classification> again = suite.EncodedImage();
            Assert.Equal(encoded.Select(c => c.Index), again.Select(c => c.Index));
        }
        finally
        {
            suite.Cleanup();
        }

        Assert.NotEqual(PipelineBenchmarkBase.SyntheticJpeg(64, 48, seed: 1), PipelineBenchmarkBase.SyntheticJpeg(64, 48, seed: 2));
        Assert.Equal(PipelineBenchmarkBase.SyntheticJpeg(64, 48, seed: 1), PipelineBenchmarkBase.SyntheticJpeg(64, 48, seed: 1));
    }
}
