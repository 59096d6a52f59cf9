using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Tests.TestSupport;
using LightNet.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Backends;

public class BackendTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryBackendAnswersAvailabilityWithAReason()
    {
        IReadOnlyList<Backend> all = Backend.All;
        Assert.Contains(all, b => b.Name == "ort-cpu");
        Assert.Contains(all, b => b.Name == "ort-cuda:fp16");
        foreach (Backend backend in all)
        {
            BackendAvailability availability = backend.CheckAvailability();
            output.WriteLine($"{backend.Name,-22} {(availability.IsAvailable ? "available" : "unavailable")}: {availability.Reason}");
            Assert.False(string.IsNullOrWhiteSpace(availability.Reason));
            if (backend.Kind == BackendKind.OnnxRuntime)
            {
                Assert.Same(availability, backend.CheckAvailability()); // probed once, then cached
            }
        }

        Assert.True(Backend.Parse("ort-cpu").CheckAvailability().IsAvailable);
    }

    [Theory]
    [InlineData("ort-cuda", "CUDA 13")]
    [InlineData("ort-tensorrt", "TensorRT")]
    [InlineData("ort-directml", "Windows")]
    [InlineData("ort-coreml", "macOS")]
    [InlineData("ort-nnapi", "Android")]
    [InlineData("ort-openvino", "OpenVino")]
    [InlineData("ort-qnn", "QNN")]
    public void MissingProvidersAreUnavailableWithWhatToInstall(string name, string hint)
    {
        // This test machine has the CPU-only ONNX Runtime package and no GPU, as CI does.
        BackendAvailability availability = Backend.Parse(name).CheckAvailability();
        Assert.False(availability.IsAvailable, availability.Reason);
        Assert.Contains(hint, availability.Reason);
        Assert.Contains("ONNX Runtime", availability.Reason);

        var e = Assert.Throws<LightNetException>(() => Backend.Parse(name).CreateSession(TestModels.Tiny()));
        Assert.Equal(ErrorCode.BackendUnavailable, e.Code);
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void ParseValidatesNamesAndOptions()
    {
        var e = Assert.Throws<LightNetException>(() => Backend.Parse("ort-cpux"));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("Did you mean 'ort-cpu'", e.Message);

        e = Assert.Throws<LightNetException>(() => Backend.Parse("ort-cpu:fp16"));
        Assert.Contains("no option 'fp16'", e.Message);
        e = Assert.Throws<LightNetException>(() => Backend.Parse("ort-cuda:conv-algo=fastest"));
        Assert.Contains("exhaustive", e.Message);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Parse("")).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Parse("ort-cpu:threads=zero")).Code);

        Backend cuda = Backend.Parse("ort-cuda:fp16,device=1,tf32=off");
        Assert.Equal("ort-cuda:fp16,device=1,tf32=off", cuda.Name);
        Assert.Equal(Precision.Fp16, cuda.Precision);
        Assert.Equal("CUDA:1", cuda.Device);
        Assert.Equal("off", cuda.EffectiveOptions["tf32"]);
        Assert.Equal("exhaustive", cuda.EffectiveOptions["conv-algo"]);
        Assert.Equal(BackendKind.OnnxRuntime, cuda.Kind);
    }

    [Fact]
    public void ThirdPartyBackendsCanRegister()
    {
        Backend.Register("test-echo", spec => new EchoBackend(spec));
        Assert.IsType<EchoBackend>(Backend.Parse("test-echo"));
        Assert.Contains(Backend.All, b => b.Name == "test-echo");
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => Backend.Register("test-echo", s => new EchoBackend(s))).Code);
    }

    [Fact]
    public void CpuSessionRunsMatchesPreparedRunAndValidatesInputs()
    {
        Model model = TestModels.Tiny();
        using IInferenceSession session = Backend.Parse("ort-cpu:threads=1").CreateSession(model);
        Assert.Equal("x", session.Inputs.Single().Name);
        Assert.Equal([1L, 4], session.Inputs.Single().Shape.Select(d => d.Value!.Value));
        Assert.Equal("y", session.Outputs.Single().Name);

        var x = TensorBuffer.FromFloats([1f, 2f, 3f, 4f], [1, 4]);
        float[] y = session.Run(new Dictionary<string, TensorBuffer> { ["x"] = x })["y"].ToFloatArray();
        // y = relu(x·w + b) with w[i,j] = (3i + j)/10, b = [0.5, -0.5, 0].
        float[] expected = Enumerable.Range(0, 3).Select(j =>
            Math.Max(0f, Enumerable.Range(0, 4).Sum(i => (i + 1) * (3 * i + j) * 0.1f) + new[] { 0.5f, -0.5f, 0f }[j])).ToArray();
        Assert.Equal(expected, y, (a, b) => Math.Abs(a - b) < 1e-5f);

        using IPreparedRun prepared = session.Prepare(new Dictionary<string, TensorBuffer> { ["x"] = x });
        x.AsSpan<float>()[0] = -10f;
        prepared.Run();
        float[] again = session.Run(new Dictionary<string, TensorBuffer> { ["x"] = x })["y"].ToFloatArray();
        Assert.Equal(again, prepared.Outputs["y"].ToFloatArray());

        var wrongShape = TensorBuffer.FromFloats([1f, 2f, 3f], [1, 3]);
        var e = Assert.Throws<LightNetException>(() => session.Run(new Dictionary<string, TensorBuffer> { ["x"] = wrongShape }));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("'x'", e.Message);
        e = Assert.Throws<LightNetException>(() => session.Run(new Dictionary<string, TensorBuffer> { ["z"] = x }));
        Assert.Contains("no input 'z'", e.Message);
        e = Assert.Throws<LightNetException>(() => session.Run(new Dictionary<string, TensorBuffer>()));
        Assert.Contains("needs input", e.Message);
    }

    [Fact]
    public void RunIsThreadSafeAndDisposedSessionsSaySo()
    {
        Model model = ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 64, Classes = 10 });
        IInferenceSession session = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        var input = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 64, 64]);
        new Random(1).NextBytes(input.Bytes);
        foreach (ref float v in input.AsSpan<float>()) v = float.IsFinite(v) ? Math.Clamp(v, -1, 1) : 0;
        var inputs = new Dictionary<string, TensorBuffer> { ["input"] = input };
        float[] reference = session.Run(inputs)["output"].ToFloatArray();
        Parallel.For(0, 8, _ => Assert.Equal(reference, session.Run(inputs)["output"].ToFloatArray()));

        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Run(inputs));
    }

    [Fact]
    public void Fp16CudaRefusesAnFp32ModelClearlyEvenBeforeAvailability()
    {
        // On this machine CUDA is missing, so the availability error comes first; both are LightNet errors.
        var e = Assert.Throws<LightNetException>(() => Backend.Parse("ort-cuda:fp16").CreateSession(TestModels.Tiny()));
        Assert.True(e.Code is ErrorCode.BackendUnavailable or ErrorCode.InvalidArgument);
    }

    private sealed class EchoBackend(BackendSpec spec) : Backend(spec)
    {
        public override BackendKind Kind => BackendKind.ThirdParty;

        public override Precision Precision => Precision.Fp32;

        public override string Device => "none";

        public override IReadOnlyDictionary<string, string> EffectiveOptions => new Dictionary<string, string>();

        public override BackendAvailability CheckAvailability() => BackendAvailability.Unavailable("test backend");

        public override IInferenceSession CreateSession(Model model, InferenceOptions? options = null) =>
            throw new LightNetException(ErrorCode.BackendUnavailable, "test backend");
    }
}
