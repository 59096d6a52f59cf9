using LightNet.Cli;
using LightNet.Compression;
using LightNet.Tests.Compression;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Cli;

/// <summary><c>lightnet quantize</c> and <c>lightnet fp16</c>, in-process.</summary>
public sealed class CompressionCliTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _model;

    public CompressionCliTests()
    {
        _model = _temp.File("convnet.onnx");
        CompressionTestModels.ConvNet().Save(_model);
    }

    public void Dispose() => _temp.Dispose();

    private sealed record Result(int ExitCode, string Out, string Err);

    private static Result Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertError(Result r, string code, params string[] fragments)
    {
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}; stderr: {r.Err}; stdout: {r.Out}");
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error", StringComparison.Ordinal));
        Assert.StartsWith($"error [{code}]: ", line);
        foreach (string f in fragments) Assert.Contains(f, line);
    }

    [Fact]
    public void QuantizeWritesTheModelAndPrintsTheReport()
    {
        string output = _temp.File("int8.onnx"), json = _temp.File("report.json");
        Result r = Run("quantize", _model, "--calib", "synthetic:4", "--method", "percentile", "--per-tensor", "--exclude", "Gemm,conv3", "-o", output, "--json", json);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Contains("| File bytes |", r.Out);
        Assert.Contains("int8-static per-tensor Percentile", r.Out);
        Model q = Model.Load(output);
        Assert.Contains(q.Graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.Equal("wg", q.Graph.Nodes.Single(n => n.Name == "fc").Inputs[1]);
        CompressionReport report = CompressionJson.Parse(File.ReadAllText(json));
        Assert.Equal(new FileInfo(output).Length, report.FileBytesAfter);
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));

        // An already-quantized model is refused and leaves no output behind.
        AssertError(Run("quantize", output, "--calib", "synthetic:2", "-o", _temp.File("again.onnx")), "InvalidArgument", "already quantized");
        Assert.False(File.Exists(_temp.File("again.onnx")));
    }

    [Fact]
    public void Fp16WritesTheModelAndPrintsTheReport()
    {
        string output = _temp.File("fp16.onnx");
        Result r = Run("fp16", _model, "-o", output);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Contains("(fp16)", r.Out);
        Assert.Equal(LightNet.Onnx.TensorElementType.Float16, Model.Load(output).Graph.Initializers["w1"].ElementType);
    }

    [Fact]
    public void BadInputsGiveOneLineErrors()
    {
        AssertError(Run("quantize", _model, "--calib", "synthetic:2", "-o", _temp.File(Path.Combine("missing", "out.onnx"))), "IOFailure", "does not exist");
        AssertError(Run("fp16", _model, "-o", _temp.File(Path.Combine("missing", "out.onnx"))), "IOFailure", "does not exist");
        AssertError(Run("quantize", _model, "--calib", _temp.File("nope"), "-o", _temp.File("o.onnx")), "IOFailure", "nope");
        Directory.CreateDirectory(_temp.File("empty"));
        AssertError(Run("quantize", _model, "--calib", _temp.File("empty"), "-o", _temp.File("o.onnx")), "InvalidArgument", "holds no image");
        Assert.Equal(2, Run("quantize", _model, "--calib", "synthetic:2", "--method", "kl", "-o", _temp.File("o.onnx")).ExitCode);
        Assert.False(File.Exists(_temp.File("o.onnx")));
    }
}
