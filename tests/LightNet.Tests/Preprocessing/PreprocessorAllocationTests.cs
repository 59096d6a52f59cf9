using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Preprocessing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Preprocessing;

/// <summary>
/// Runs alone: under the full suite's parallel load the measuring thread's counter has shown 1.6–4.4 KB per 20 frames in
/// all three passes (CI, 5 December; never with the tests run by themselves, even with another thread forcing hundreds
/// of collections, or with the code held at tier 0) — whatever the runtime does on this thread then, the preprocessor's
/// own allocations are what this measures.
/// </summary>
[CollectionDefinition(nameof(PreprocessorAllocationTests), DisableParallelization = true)]
public sealed class PreprocessorAllocationCollection;

/// <summary>After warm-up, a camera frame of an unchanged size is preprocessed without allocating.</summary>
[Collection(nameof(PreprocessorAllocationTests))]
public class PreprocessorAllocationTests(ITestOutputHelper output)
{
    public static TheoryData<RawPixelFormat, TensorLayout, TensorElementType, ResizeMode> Cases => new()
    {
        { RawPixelFormat.Rgba32, TensorLayout.Nchw, TensorElementType.Float, ResizeMode.ShorterSideCenterCrop },
        { RawPixelFormat.Bgra32, TensorLayout.Nhwc, TensorElementType.Float, ResizeMode.Stretch },
        { RawPixelFormat.Rgb24, TensorLayout.Nchw, TensorElementType.Float16, ResizeMode.Letterbox },
        { RawPixelFormat.Bgr24, TensorLayout.Nhwc, TensorElementType.UInt8, ResizeMode.ShorterSideCenterCrop },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SameSizeFrameIntoACallersTensorAllocatesNothing(RawPixelFormat format, TensorLayout layout, TensorElementType type, ResizeMode mode)
    {
        var pre = new ImagePreprocessor(PreprocessOptions.Torchvision with { Layout = layout, ElementType = type, ResizeMode = mode });
        int bpp = RawImage.BytesPerPixel(format);
        int stride = 640 * bpp + 64; // padded rows, as camera APIs deliver them
        var frame1 = new byte[stride * 480];
        var frame2 = new byte[stride * 480];
        new Random(5).NextBytes(frame1);
        new Random(6).NextBytes(frame2);
        TensorBuffer destination = pre.CreateBuffer(2);

        for (int i = 0; i < 3; i++)
        {
            pre.ProcessInto(new RawImage(frame1, 640, 480, format, stride), destination, 1); // warm-up: plan, pooled buffers, JIT
        }

        // Up to three passes of 20 frames: the JIT's tier-up (and under a full test run's load its background
        // compilation finishing on this thread) can put a few KB on this thread's counter once, in one pass; an
        // allocation per frame shows in every pass (20 frames of even 52 bytes pass the bound), so the least of the
        // passes is what the steady state allocates. Nothing per frame: one frame's tensor alone is 300 KB or more.
        long least = long.MaxValue;
        for (int pass = 0; pass < 3 && least >= 1024; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                pre.ProcessInto(new RawImage(i % 2 == 0 ? frame2 : frame1, 640, 480, format, stride), destination, i % 2);
                pre.ProcessInto(frame2, 640, 480, stride, format, destination, 0);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            output.WriteLine($"{format} → {layout} {type} {mode}: {allocated} bytes allocated over 20 frames (pass {pass + 1})");
            least = Math.Min(least, allocated);
        }

        Assert.True(least < 1024, $"{least} bytes allocated over 20 frames in the least of 3 passes");
    }

    [Fact]
    public void DecodedPathAllocatesLittleBeyondTheDecoder()
    {
        using var photo = new Image<Rgb24>(640, 480);
        var random = new Random(9);
        photo.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                foreach (ref Rgb24 p in rows.GetRowSpan(y))
                {
                    p = new Rgb24((byte)random.Next(256), (byte)(y / 2), (byte)random.Next(256));
                }
            }
        });
        using var stream = new MemoryStream();
        photo.Save(stream, new JpegEncoder { Quality = 85 });
        byte[] jpeg = stream.ToArray();

        var pre = new ImagePreprocessor();
        TensorBuffer destination = pre.CreateBuffer();
        for (int i = 0; i < 3; i++)
        {
            pre.ProcessInto(jpeg, destination);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        pre.ProcessInto(jpeg, destination);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"640 × 480 JPEG ({jpeg.Length} bytes) → 224² tensor: {allocated} managed bytes allocated (decoder objects; pixels live in ImageSharp's pool)");
        Assert.True(allocated < 256 * 1024, $"{allocated} bytes");
    }
}
