// The loop a camera app writes: frames arrive as NV12 (what phone cameras and video decoders deliver), each one is
// classified into a caller's span, and nothing is allocated per frame once warm. Prints the bytes allocated and the
// time per frame.
//
//   dotnet run -c Release --project samples/CameraLoop                        synthetic 640×480 NV12 frames, squeezenet1_1
//   dotnet run -c Release --project samples/CameraLoop -- photos/              the JPEGs of a folder, as NV12 frames
//   dotnet run -c Release --project samples/CameraLoop -- photos/ model.onnx cpu-simd
//
// A zoo network has synthetic weights: its labels mean nothing; pass a trained classifier for real ones.

using System.Diagnostics;
using System.Globalization;
using LightNet;
using LightNet.Backends;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using LightNet.Zoo;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
const int Width = 640, Height = 480, Frames = 200;
string? folder = args.Length > 0 ? args[0] : null;
Model model = args.Length > 1 ? Model.Load(args[1]) : ModelZoo.Create("squeezenet1_1");
string backend = args.Length > 2 ? args[2] : "cpu-simd";

// The camera: a ring of NV12 buffers, filled before the loop as a driver would fill them.
byte[][] ring = folder is null ? Synthetic(4) : FromFolder(folder);
using var classifier = new Classifier(model, Backend.Parse(backend));
Span<(int Index, float Probability)> top = stackalloc (int, float)[3];

for (int i = 0; i < 10; i++) classifier.ClassifyInto(YuvFrame.Nv12(ring[i % ring.Length], Width, Height), top); // warm-up

long allocated = 0; // by ClassifyInto alone (the printing below allocates its strings)
int gcBefore = GC.CollectionCount(0);
long start = Stopwatch.GetTimestamp();
for (int i = 0; i < Frames; i++)
{
    YuvFrame frame = YuvFrame.Nv12(ring[i % ring.Length], Width, Height, YuvColorMatrix.Bt601, YuvRange.Full);
    long before = GC.GetAllocatedBytesForCurrentThread();
    int count = classifier.ClassifyInto(frame, top);
    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
    if (i % 50 == 0)
    {
        Console.WriteLine($"frame {i,3}: {classifier.LabelOf(top[0].Index)} {top[0].Probability:P1}" + (count > 1 ? $", {classifier.LabelOf(top[1].Index)} {top[1].Probability:P1}" : ""));
    }
}

double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds / Frames;
Console.WriteLine($"{Frames} NV12 {Width}×{Height} frames on {backend}: {ms:F2} ms per frame, {allocated / (double)Frames:F1} bytes allocated per frame, {GC.CollectionCount(0) - gcBefore} gen-0 collections");
return allocated < 1024 ? 0 : 1; // JIT tier-up may leave a few hundred bytes once

// Moving colour gradients, in NV12 (full-range BT.601).
static byte[][] Synthetic(int count)
{
    var frames = new byte[count][];
    for (int f = 0; f < count; f++)
    {
        var nv12 = new byte[Width * Height * 3 / 2];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
                nv12[y * Width + x] = (byte)((x + y + 40 * f) & 0xFF);
        for (int y = 0; y < Height / 2; y++)
            for (int x = 0; x < Width / 2; x++)
            {
                nv12[Width * Height + y * Width + 2 * x] = (byte)(64 + x / 3 + 20 * f);
                nv12[Width * Height + y * Width + 2 * x + 1] = (byte)(192 - y / 2);
            }
        frames[f] = nv12;
    }

    return frames;
}

// Each image of the folder resized to 640×480 and converted to NV12 (full-range BT.601), as a camera would deliver it.
static byte[][] FromFolder(string folder)
{
    string[] files = Directory.GetFiles(folder).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)).Order().ToArray();
    if (files.Length == 0) throw new ArgumentException($"No .jpg or .png in '{folder}'.");
    return files.Select(file =>
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(file);
        image.Mutate(c => c.Resize(Width, Height));
        var nv12 = new byte[Width * Height * 3 / 2];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                Rgb24 p = image[x, y];
                nv12[y * Width + x] = (byte)Math.Clamp(Math.Round(0.299 * p.R + 0.587 * p.G + 0.114 * p.B), 0, 255);
                if (x % 2 == 0 && y % 2 == 0)
                {
                    int c = Width * Height + y / 2 * Width + x;
                    nv12[c] = (byte)Math.Clamp(Math.Round(128 + (-0.168736 * p.R - 0.331264 * p.G + 0.5 * p.B)), 0, 255);
                    nv12[c + 1] = (byte)Math.Clamp(Math.Round(128 + (0.5 * p.R - 0.418688 * p.G - 0.081312 * p.B)), 0, 255);
                }
            }
        return nv12;
    }).ToArray();
}
