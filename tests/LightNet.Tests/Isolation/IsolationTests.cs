using System.Diagnostics;
using LightNet.Backends;
using LightNet.Isolation;
using LightNet.Onnx;
using LightNet.Profiling;
using LightNet.Study;
using LightNet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Isolation;

/// <summary>
/// Sessions in a worker process: the real worker (the lightnet command line, started with --lightnet-worker) gives the
/// same outputs as the session in this process; workers that die by a signal, never answer or grow past the memory
/// limit become BackendCrashed, Timeout and ResourceLimit here, and this process goes on. The misbehaving workers
/// are small shell scripts that speak the protocol's first line, so each failure is exact and fast.
/// </summary>
public class IsolationTests(ITestOutputHelper output)
{
    private static readonly WorkerCommand RealWorker = WorkerCommand.ForAssembly(typeof(LightNet.Cli.CliApp).Assembly, [IsolationWorker.Argument]);

    private static InferenceOptions Isolated(WorkerCommand worker, TimeSpan? runTimeout = null, long? memory = null) => new()
    {
        Threads = 1,
        Isolation = IsolationMode.Process,
        IsolationSettings = IsolationSettings.Default with
        {
            Worker = worker,
            RunTimeout = runTimeout ?? TimeSpan.FromSeconds(60),
            MaxWorkerMemoryBytes = memory ?? IsolationSettings.Default.MaxWorkerMemoryBytes,
        },
    };

    /// <summary>A worker that answers the settings line with a session of one input and output, then does <paramref name="onRun"/> at the first run.</summary>
    private static WorkerCommand Script(string onRun) => new("bash", ["-c",
        "read settings; echo '@@lightnet-session ready {\"inputs\":[{\"name\":\"x\",\"type\":1,\"shape\":[1,4]}],\"outputs\":[{\"name\":\"y\",\"type\":1,\"shape\":[1,3]}]}'; read request; " + onRun]);

    private static Dictionary<string, TensorBuffer> Input() =>
        new(StringComparer.Ordinal) { ["x"] = TensorBuffer.FromFloats([0.5f, -1f, 2f, 3f], [1, 4]) };

    [Fact]
    public void AnIsolatedSessionGivesBitIdenticalOutputsAndSaysWhatARunCosts()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Model model = TestModels.Tiny();
        Backend backend = Backend.Parse("cpu-simd");
        using IInferenceSession local = backend.CreateSession(model, new InferenceOptions { Threads = 1 });
        var clock = Stopwatch.StartNew();
        using IInferenceSession isolated = backend.CreateSession(model, Isolated(RealWorker));
        TimeSpan start = clock.Elapsed;
        Assert.Equal(local.Inputs, isolated.Inputs, (a, b) => a.Name == b.Name && a.ElementType == b.ElementType && a.Shape.SequenceEqual(b.Shape));
        Assert.Equal(local.Outputs.Select(o => o.Name), isolated.Outputs.Select(o => o.Name));

        var inputs = Input();
        Assert.Equal(local.Run(inputs)["y"].Bytes.ToArray(), isolated.Run(inputs)["y"].Bytes.ToArray());
        using IPreparedRun prepared = isolated.Prepare(inputs);
        inputs["x"].AsSpan<float>()[0] = 7f;
        prepared.Run();
        Assert.Equal(local.Run(inputs)["y"].Bytes.ToArray(), prepared.Outputs["y"].Bytes.ToArray());

        // The cost of isolation per run, side by side (noisy on a loaded machine: a ratio, not an absolute).
        double PerRunMicroseconds(IInferenceSession s, int runs = 100)
        {
            var c = Stopwatch.StartNew();
            for (int i = 0; i < runs; i++)
            {
                _ = s.Run(inputs);
            }

            return c.Elapsed.TotalMicroseconds / runs;
        }

        double inProcess = PerRunMicroseconds(local), inWorker = PerRunMicroseconds(isolated);
        output.WriteLine($"worker start + session: {start.TotalMilliseconds:F0} ms; per run: in process {inProcess:F1} µs, isolated {inWorker:F1} µs (+{inWorker - inProcess:F1} µs)");
        Assert.True(inWorker > 0);

        // An image-sized tensor each way (1 × 3 × 224 × 224 floats, 602 KB): the pipe's cost per byte.
        var b = new ModelBuilder("identity", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3, 224, 224);
        b.AddNode("Identity", ["x"], ["y"]);
        b.AddOutput("y", TensorElementType.Float, 1, 3, 224, 224);
        Model identity = b.Build();
        using IInferenceSession bigLocal = backend.CreateSession(identity, new InferenceOptions { Threads = 1 });
        using IInferenceSession bigShared = backend.CreateSession(identity, Isolated(RealWorker));
        InferenceOptions pipeOnly = Isolated(RealWorker);
        using IInferenceSession bigPipe = backend.CreateSession(identity, pipeOnly with { IsolationSettings = pipeOnly.IsolationSettings! with { SharedMemory = false } });
        inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal) { ["x"] = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 224, 224]) };
        var random = new Random(19);
        foreach (ref float v in inputs["x"].AsSpan<float>())
        {
            v = (float)random.NextDouble();
        }

        byte[] expected = bigLocal.Run(inputs)["y"].Bytes.ToArray();
        Assert.Equal(expected, bigShared.Run(inputs)["y"].Bytes.ToArray());
        Assert.Equal(expected, bigPipe.Run(inputs)["y"].Bytes.ToArray());
        if (((IsolatedSession)bigShared).SharedMemoryPath is { } shm && !OperatingSystem.IsWindows())
        {
            Assert.False(File.Exists(shm), $"{shm} is still there"); // unlinked once the worker had mapped it
        }

        // Side by side, interleaved: shared memory against base64 in the pipe's lines.
        double bigInProcess = 0, bigInShared = 0, bigInPipe = 0;
        for (int round = 0; round < 3; round++)
        {
            bigInProcess += PerRunMicroseconds(bigLocal, 20) / 3000;
            bigInShared += PerRunMicroseconds(bigShared, 20) / 3000;
            bigInPipe += PerRunMicroseconds(bigPipe, 20) / 3000;
        }

        output.WriteLine($"602 KB in and out per run: in process {bigInProcess:F2} ms, isolated with shared memory {bigInShared:F2} ms " +
            $"(+{bigInShared - bigInProcess:F2} ms), isolated with base64 in the pipe {bigInPipe:F2} ms (+{bigInPipe - bigInProcess:F2} ms); " +
            $"pipe / shared = {bigInPipe / bigInShared:F1}");

        isolated.Dispose();
        Assert.Throws<ObjectDisposedException>(() => isolated.Run(inputs));
    }

    [Fact]
    public void SharedMemoryGrowsOnEitherSide()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // The host's inputs (3 MB) and then the worker's outputs (6 × 3 MB) outgrow the 1 MiB the shared file starts with.
        var b = new ModelBuilder("grow", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3, 512, 512);
        b.AddNode("Concat", ["x", "x", "x", "x", "x", "x"], ["y"], attributes: [NodeAttribute.Int("axis", 1)]);
        b.AddNode("ReduceSum", ["x"], ["s"], attributes: [NodeAttribute.Int("keepdims", 0)]);
        b.AddOutput("y", TensorElementType.Float, 1, 18, 512, 512);
        b.AddOutput("s", TensorElementType.Float);
        Model model = b.Build();
        using IInferenceSession local = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { Threads = 1 });
        using IInferenceSession isolated = Backend.Parse("cpu-simd").CreateSession(model, Isolated(RealWorker));
        for (int round = 0; round < 2; round++)
        {
            var x = TensorBuffer.Allocate(TensorElementType.Float, [1, 3, 512, 512]);
            var random = new Random(round);
            foreach (ref float v in x.AsSpan<float>())
            {
                v = (float)random.NextDouble();
            }

            var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal) { ["x"] = x };
            IReadOnlyDictionary<string, TensorBuffer> expected = local.Run(inputs), actual = isolated.Run(inputs);
            Assert.Equal(expected["y"].Bytes.ToArray(), actual["y"].Bytes.ToArray());
            Assert.Equal(expected["s"].Bytes.ToArray(), actual["s"].Bytes.ToArray());
        }
    }

    [Fact]
    public void AWorkerKilledByASignalIsBackendCrashedAndTheSessionStaysDead()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // At creation: the worker dies before answering.
        var e = Assert.Throws<LightNetException>(() => Backend.Parse("ort-cpu").CreateSession(TestModels.Tiny(), Isolated(new WorkerCommand("bash", ["-c", "kill -SEGV $$"]))));
        Assert.Equal(ErrorCode.BackendCrashed, e.Code);
        Assert.Contains("signal 11, SIGSEGV", e.Message, StringComparison.Ordinal);

        // During a run: the SIGFPE of the mutated Conv, as ONNX Runtime raised it.
        using IInferenceSession session = Backend.Parse("ort-cpu").CreateSession(TestModels.Tiny(), Isolated(Script("kill -FPE $$")));
        e = Assert.Throws<LightNetException>(() => session.Run(Input()));
        Assert.Equal(ErrorCode.BackendCrashed, e.Code);
        Assert.Contains("signal 8, SIGFPE", e.Message, StringComparison.Ordinal);
        Assert.Contains("running 'ort-cpu'", e.Message, StringComparison.Ordinal);
        var again = Assert.Throws<LightNetException>(() => session.Run(Input()));
        Assert.Equal(ErrorCode.InvalidOperation, again.Code);
        Assert.Contains("BackendCrashed", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWorkerThatNeverAnswersIsATimeoutAndIsKilled()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using IInferenceSession session = Backend.Parse("cpu-simd").CreateSession(TestModels.Tiny(), Isolated(Script("sleep 60"), runTimeout: TimeSpan.FromMilliseconds(300)));
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<LightNetException>(() => session.Run(Input()));
        Assert.Equal(ErrorCode.Timeout, e.Code);
        Assert.Contains("within 0.3 s", e.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void AWorkerOverItsMemoryLimitIsAResourceLimitAndAModelErrorKeepsItsCode()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // ConstantOfShape of 150 M floats (600 MB) in a worker limited to 250 MB resident.
        var b = new ModelBuilder("big", 17);
        b.AddInput("x", TensorElementType.Float, 1);
        b.AddInitializer(TensorData.FromInt64s("shape", [2], [150, 1_000_000]));
        b.AddNode("ConstantOfShape", ["shape"], ["c"]);
        b.AddNode("ReduceMax", ["c"], ["m"], attributes: [NodeAttribute.Int("keepdims", 0)]);
        b.AddNode("Add", ["m", "x"], ["y"]);
        b.AddOutput("y", TensorElementType.Float, 1);
        using IInferenceSession session = Backend.Parse("cpu-simd").CreateSession(b.Build(), Isolated(RealWorker, memory: 250L * 1024 * 1024));
        var e = Assert.Throws<LightNetException>(() => session.Run(new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.FromFloats([1f], [1]) }));
        output.WriteLine(e.Message);
        Assert.True(e.Code == ErrorCode.ResourceLimit, $"{e.Code}: {e.Message}");
        Assert.Contains("MaxWorkerMemoryBytes", e.Message, StringComparison.Ordinal);

        // A refusal inside the worker crosses the pipe with its code and message.
        var bad = new ModelBuilder("bad", 17);
        bad.AddInput("x", TensorElementType.Float, 1, 4);
        bad.AddNode("NoSuchOperator", ["x"], ["y"]);
        bad.AddOutput("y", TensorElementType.Float, 1, 4);
        Model model = bad.Build();
        var inProcess = Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd").CreateSession(model));
        var isolated = Assert.Throws<LightNetException>(() => Backend.Parse("cpu-simd").CreateSession(model, Isolated(RealWorker)));
        Assert.Equal(inProcess.Code, isolated.Code);
        Assert.Contains("NoSuchOperator", isolated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIsolatedStudyLosesOnlyTheCellsOfANativeBackendWhoseWorkerCrashes()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // Every worker dies by SIGSEGV at start (as a native crash in ONNX Runtime would): the ort-cpu cell fails with
        // BackendCrashed, the cpu-simd cell (managed, never isolated) is measured, and the study finishes.
        StudyResults results = StudyRunner.Run(StudyOptions.Quick with
        {
            Models = ["mobilenet_v1@0.25"],
            Backends = ["ort-cpu", "cpu-simd"],
            Baseline = "cpu-simd",
            Precisions = [Precision.Fp32],
            Resolution = 32,
            Measurement = new ProfileOptions
            {
                WarmupRuns = 1, WarmupSeconds = 0, Runs = 3, MinSeconds = 0, MaxSeconds = 1, PerOperatorRuns = 1, Threads = 1,
                IsolationSettings = IsolationSettings.Default with { Worker = new WorkerCommand("bash", ["-c", "kill -SEGV $$"]) },
            },
            FidelitySamples = 2,
            Isolation = IsolationMode.Process,
        });

        StudyCell ort = Assert.Single(results.Cells, c => c.Backend == "ort-cpu");
        Assert.Null(ort.Report);
        Assert.Contains("SIGSEGV", ort.Error, StringComparison.Ordinal);
        StudyCell managed = Assert.Single(results.Cells, c => c.Backend == "cpu-simd");
        Assert.Null(managed.Error);
        Assert.NotNull(managed.Report);
    }

    [Fact]
    public void TheProfilerMeasuresInAWorkerWhenAsked()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var options = new ProfileOptions
        {
            WarmupRuns = 1, WarmupSeconds = 0, Runs = 5, MinSeconds = 0, MaxSeconds = 60, PerOperatorRuns = 2, PerOperatorProfile = true, Threads = 1,
            Isolation = IsolationMode.Process, IsolationSettings = IsolationSettings.Default with { Worker = RealWorker },
        };
        ProfileReport report = Profiler.Measure(TestModels.Tiny(), Backend.Parse("cpu-simd"), options);
        Assert.True(report.Settings.Runs >= 5, $"{report.Settings.Runs} runs");
        Assert.NotEmpty(report.Operators); // the operator profile came back over the pipe (one JSON line)
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() =>
            Backend.Parse("cpu-simd").CreateSession(TestModels.Tiny(), Isolated(RealWorker) with { IsolationSettings = IsolationSettings.Default with { RunTimeout = TimeSpan.Zero } })).Code);
    }
}
