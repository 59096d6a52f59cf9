using LightNet.Backends;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using LightNet.Zoo;

namespace LightNet.Benchmarks;

/// <summary>
/// Allocation per frame of the camera loop, counted two ways after a warm-up: on the calling thread
/// (<see cref="GC.GetAllocatedBytesForCurrentThread"/>) and in the whole process (<see cref="GC.GetTotalAllocatedBytes"/>,
/// what BenchmarkDotNet's MemoryDiagnoser reads), over windows of frames. <c>--alloc-check [--frames N] [--windows W]</c>.
/// </summary>
internal static class AllocationCheck
{
    public static int Run(string[] args)
    {
        int frames = int.Parse(OverheadCheck.Option(args, "--frames", "200"));
        int windows = int.Parse(OverheadCheck.Option(args, "--windows", "5"));
        var nv12 = new byte[640 * 480 * 3 / 2];
        new Random(7).NextBytes(nv12);
        using var classifier = new Classifier(ModelZoo.Create("squeezenet1_1", new ZooOptions { Resolution = 112 }), Backend.Parse("cpu-simd:threads=1"));
        ImagePreprocessor preprocessor = classifier.Preprocessor;
        TensorBuffer tensor = preprocessor.CreateBuffer();
        var top = new (int Index, float Probability)[5];
        int sink = 0;
        Check("control: an empty frame", () => sink++, frames, windows);
        Check("control: YuvFrame.Nv12 alone", () => sink += YuvFrame.Nv12(nv12, 640, 480).Width, frames, windows);
        var rgb = new byte[640 * 480 * 3];
        Check("YuvPreprocessing.ToRgb24", () => YuvPreprocessing.ToRgb24(YuvFrame.Nv12(nv12, 640, 480), rgb), frames, windows);
        Check("NV12 640x480 -> 112x112 tensor", () => preprocessor.ProcessInto(YuvFrame.Nv12(nv12, 640, 480), tensor), frames, windows);
        Check("Classifier.ClassifyInto(NV12)", () => classifier.ClassifyInto(YuvFrame.Nv12(nv12, 640, 480), top), frames, windows);
        return 0;
    }

    private static void Check(string name, Action frame, int frames, int windows)
    {
        for (int i = 0; i < frames; i++) frame(); // warm-up: buffers, plans, the JIT's tiers
        Console.WriteLine(name);
        for (int w = 0; w < windows; w++)
        {
            GC.Collect(); // as BenchmarkDotNet does between iterations
            GC.WaitForPendingFinalizers();
            GC.Collect();
            long process = GC.GetTotalAllocatedBytes(precise: true);
            long thread = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < frames; i++) frame();
            long threadBytes = GC.GetAllocatedBytesForCurrentThread() - thread;
            long processBytes = GC.GetTotalAllocatedBytes(precise: true) - process;
            Console.WriteLine($"  window {w + 1}: {frames} frames, this thread {threadBytes} B, process {processBytes} B ({(double)processBytes / frames:F2} B/frame)");
        }
    }
}
