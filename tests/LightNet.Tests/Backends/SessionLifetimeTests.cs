using System.Diagnostics;
using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Profiling;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Backends;

/// <summary>
/// Issue 19, concurrency and lifetime: Run from many threads gives bit-identical outputs on every backend; Dispose of a
/// session or prepared run while another thread is inside Run never frees memory under the call (ONNX Runtime crashed
/// with a segmentation fault), and every call after it is refused with <see cref="ObjectDisposedException"/>;
/// cancelling <see cref="Profiler.Measure"/> returns within about one run. Stress loops have fixed, small budgets.
/// </summary>
public class SessionLifetimeTests(ITestOutputHelper output)
{
    public static TheoryData<string> Backends() => new() { "ort-cpu", "cpu-simd" };

    /// <summary>Conv 16→16 3×3 on [1, 16, 48, 48] then Relu: about a millisecond a run, long enough to be caught inside.</summary>
    private static Model ConvModel()
    {
        var b = new ModelBuilder("lifetime_conv", 17);
        b.AddInput("x", TensorElementType.Float, 1, 16, 48, 48);
        b.AddInitializer(TensorData.FromFloats("w", [16, 16, 3, 3], Enumerable.Range(0, 16 * 16 * 9).Select(i => ((i * 37) % 19 - 9) * 0.01f).ToArray()));
        b.AddNode("Conv", ["x", "w"], ["c"], "conv", NodeAttribute.Ints("pads", 1, 1, 1, 1));
        b.AddNode("Relu", ["c"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float, 1, 16, 48, 48);
        return b.Build();
    }

    private static Dictionary<string, TensorBuffer> Input(int seed)
    {
        var random = new Random(seed);
        float[] x = Enumerable.Range(0, 16 * 48 * 48).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return new Dictionary<string, TensorBuffer> { ["x"] = TensorBuffer.FromFloats(x, [1, 16, 48, 48]) };
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void RunFromManyThreadsIsBitIdenticalToOneThread(string backend)
    {
        using IInferenceSession session = Backend.Parse(backend).CreateSession(ConvModel(), new InferenceOptions { Threads = 1 });
        var inputs = Enumerable.Range(0, 4).Select(Input).ToArray();
        byte[][] expected = inputs.Select(i => session.Run(i)["y"].Bytes.ToArray()).ToArray();
        const int Threads = 4, Iterations = 25;
        var mismatches = 0;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            for (int i = 0; i < Iterations; i++)
            {
                int k = (t + i) % inputs.Length;
                if (!session.Run(inputs[k])["y"].Bytes.SequenceEqual(expected[k]))
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        });
        Assert.Equal(0, mismatches);
        output.WriteLine($"{backend}: {Threads} threads × {Iterations} runs, bit-identical");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void DisposeWhileRunsAreInFlightRefusesLaterCallsAndNeverCrashes(string backend)
    {
        Model model = ConvModel();
        Dictionary<string, TensorBuffer> input = Input(1);
        int completed = 0, refused = 0;
        for (int round = 0; round < 8; round++)
        {
            IInferenceSession session = Backend.Parse(backend).CreateSession(model, new InferenceOptions { Threads = 1 });
            using var started = new CountdownEvent(3);
            Thread[] runners = Enumerable.Range(0, 3).Select(_ => new Thread(() =>
            {
                started.Signal();
                while (true)
                {
                    try
                    {
                        session.Run(input);
                        Interlocked.Increment(ref completed);
                    }
                    catch (ObjectDisposedException)
                    {
                        Interlocked.Increment(ref refused);
                        return;
                    }
                }
            })).ToArray();
            Array.ForEach(runners, r => r.Start());
            started.Wait(TimeSpan.FromSeconds(10));
            Thread.Sleep(15);
            session.Dispose();
            Assert.All(runners, r => Assert.True(r.Join(TimeSpan.FromSeconds(30)), "a run did not return after Dispose"));
            var after = Assert.Throws<ObjectDisposedException>(() => session.Run(input));
            Assert.Contains("disposed", after.Message);
        }

        Assert.Equal(8 * 3, refused);
        output.WriteLine($"{backend}: 8 rounds × 3 threads; {completed} runs completed, {refused} refused after Dispose, no crash");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void PreparedRunDisposedWhileRunningAndAfterItsSession(string backend)
    {
        Model model = ConvModel();
        for (int round = 0; round < 8; round++)
        {
            using IInferenceSession session = Backend.Parse(backend).CreateSession(model, new InferenceOptions { Threads = 1 });
            IPreparedRun prepared = session.Prepare(Input(2));
            using var started = new ManualResetEventSlim();
            var runner = new Thread(() =>
            {
                started.Set();
                while (true)
                {
                    try
                    {
                        prepared.Run();
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                }
            });
            runner.Start();
            started.Wait(TimeSpan.FromSeconds(10));
            Thread.Sleep(10);
            prepared.Dispose();
            Assert.True(runner.Join(TimeSpan.FromSeconds(30)));
            Assert.Throws<ObjectDisposedException>(prepared.Run);
        }

        // The session disposed first: its prepared run is refused, and disposing it afterwards is safe.
        IInferenceSession first = Backend.Parse(backend).CreateSession(model, new InferenceOptions { Threads = 1 });
        IPreparedRun orphan = first.Prepare(Input(3));
        first.Dispose();
        Assert.Throws<ObjectDisposedException>(orphan.Run);
        orphan.Dispose();
        orphan.Dispose();
    }

    [Fact]
    public void NativeLifetimeReleasesOnceWhenTheLastCallLeaves()
    {
        int released = 0;
        var lifetime = new NativeLifetime(() => released++);
        Assert.True(lifetime.TryEnter());
        Assert.True(lifetime.TryEnter());
        lifetime.Dispose();
        Assert.True(lifetime.IsDisposed);
        Assert.False(lifetime.TryEnter());
        Assert.Equal(0, released); // two calls are still inside
        lifetime.Exit();
        Assert.Equal(0, released);
        lifetime.Exit();
        Assert.Equal(1, released);
        lifetime.Dispose();
        Assert.Equal(1, released);

        var idle = new NativeLifetime(() => released++);
        idle.Dispose();
        Assert.Equal(2, released);
        Assert.True(idle.IsReleased);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public void CancellingMeasureReturnsWithinAboutOneRun(string backend)
    {
        Model model = ConvModel();
        using IInferenceSession probe = Backend.Parse(backend).CreateSession(model, new InferenceOptions { Threads = 1 });
        Dictionary<string, TensorBuffer> input = Input(4);
        probe.Run(input);
        var one = Stopwatch.StartNew();
        probe.Run(input);
        TimeSpan run = one.Elapsed;

        using var cancel = new CancellationTokenSource();
        var options = ProfileOptions.Default with { Threads = 1, MinSeconds = 60, MaxSeconds = 120, Runs = 1_000_000 };
        long cancelledAt = 0;
        Task measuring = Task.Run(() => Profiler.Measure(model, Backend.Parse(backend), options, cancellationToken: cancel.Token));
        Thread.Sleep(1500);
        Assert.False(measuring.IsCompleted, $"Measure ended before it was cancelled: {measuring.Exception}");
        cancelledAt = Stopwatch.GetTimestamp();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => measuring.GetAwaiter().GetResult());
        TimeSpan latency = Stopwatch.GetElapsedTime(cancelledAt);
        output.WriteLine($"{backend}: one run {run.TotalMilliseconds:F2} ms, cancellation returned after {latency.TotalMilliseconds:F1} ms");
        // One run + 100 ms, with slack for a machine shared by other builds (the test runs on 2 loaded cores).
        Assert.True(latency < run + TimeSpan.FromMilliseconds(100 + 400), $"cancellation took {latency.TotalMilliseconds:F1} ms; one run is {run.TotalMilliseconds:F2} ms");
    }
}
