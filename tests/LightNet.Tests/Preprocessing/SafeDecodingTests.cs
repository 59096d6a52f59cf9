using System.Diagnostics;
using LightNet.Preprocessing;
using LightNet.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Preprocessing;

/// <summary>
/// Crafted files: each must fail with <see cref="ErrorCode.InvalidImage"/> naming the file, fast, and without a large
/// allocation. Managed allocation is measured on the test's thread; the decoder's unmanaged buffers are bounded by
/// running under a decoder-buffer limit of 4 MB, so a decoder that tried to allocate the pixels would fail differently.
/// </summary>
public class SafeDecodingTests(ITestOutputHelper output)
{
    private const long MaxAllocatedBytes = 2 * 1024 * 1024;
    private static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(1);

    private static readonly ImagePreprocessor Tight = new(PreprocessOptions.Torchvision with
    {
        Limits = ImageLimits.Default with { MaxDecoderBufferMegabytes = 4 },
    });

    public static TheoryData<string, string, string> Crafted => new()
    {
        // name, file name, expected message fragment
        { "empty", "empty.png", "is empty" },
        { "random", "random.jpg", "not an image in a supported format" },
        { "truncated-jpeg", "photo.jpg", "truncated JPEG" },
        { "png-100000x100000", "huge.png", "100000 × 100000" },
        { "bmp-huge-offset", "offset.bmp", "pixel data offset 2147483392 lies outside the file" },
        { "gif-many-frames", "frames.gif", "more than 1000 frames" },
        { "text-named-jpg", "page.jpg", "not an image in a supported format" },
        { "png-interlaced-8000x8000", "interlaced.png", "interlaced PNG of 8000 × 8000" },
        { "png-interlaced-truncated", "cut.png", "truncated PNG" },
        { "png-rgb-4000x4000-tiny-idat", "short.png", "truncated PNG" },
        { "png-ztxt-400mb", "ztxt.png", "zTXt chunk, over the limit" },
        { "png-itxt-400mb", "itxt.png", "iTXt chunk, over the limit" },
        { "jpeg-1000-app1", "app1.jpg", "more than 64 metadata" },
        { "jpeg-5000-scans", "scans.jpg", "more than 100 scans" },
        { "bmp-0-bpp", "zero.bmp", "0 bits per pixel" },
        { "bmp-1-bpp-huge-palette", "palette.bmp", "palette of 4294967295 colours" },
        { "bmp-8-bpp-palette-past-end", "short.bmp", "past the end of the file" },
    };

    private static byte[] Bytes(string name) => name switch
    {
        "empty" => [],
        "random" => CraftedImages.RandomBytes(64 * 1024),
        "truncated-jpeg" => CraftedImages.TruncatedJpeg(0.6),
        "png-100000x100000" => CraftedImages.PngHeader(100_000, 100_000),
        "bmp-huge-offset" => CraftedImages.BmpWithPixelOffset(0x7FFFFF00),
        "gif-many-frames" => CraftedImages.Gif(50_000, 4000, 4000),
        "text-named-jpg" => CraftedImages.Text(),
        "png-interlaced-8000x8000" => CraftedImages.InterlacedPng(8000, 8000),
        "png-interlaced-truncated" => CraftedImages.InterlacedPng(100, 100, cutTo: 50),
        "png-rgb-4000x4000-tiny-idat" => CraftedImages.PngHeader(4000, 4000),
        "png-ztxt-400mb" => ZTxt400Mb.Value,
        "png-itxt-400mb" => ITxt400Mb.Value,
        "jpeg-1000-app1" => CraftedImages.JpegWithAppSegments(1000),
        "jpeg-5000-scans" => CraftedImages.JpegWithScans(5000),
        "bmp-0-bpp" => CraftedImages.Bmp(0, 0),
        "bmp-1-bpp-huge-palette" => CraftedImages.Bmp(1, uint.MaxValue),
        "bmp-8-bpp-palette-past-end" => CraftedImages.Bmp(8, 0, length: 200),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // Compressing 400 MB of zeros takes a moment: build each attack file once.
    private static readonly Lazy<byte[]> ZTxt400Mb = new(() => CraftedImages.PngWithCompressedText("zTXt", 400_000_000));
    private static readonly Lazy<byte[]> ITxt400Mb = new(() => CraftedImages.PngWithCompressedText("iTXt", 400_000_000));

    [Theory]
    [MemberData(nameof(Crafted))]
    public void CraftedFileFailsFastWithInvalidImage(string name, string fileName, string fragment)
    {
        using var dir = new TempDirectory();
        string path = dir.File(fileName);
        File.WriteAllBytes(path, Bytes(name));
        Assert.Throws<LightNetException>(() => Tight.Decode(path)); // warm-up: JIT and first-use costs are not the input's

        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<LightNetException>(() => Tight.Decode(path));
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{name}: {clock.Elapsed.TotalMilliseconds:F2} ms, {allocated / 1024.0:F1} KiB managed — {e.Message}");

        Assert.Equal(ErrorCode.InvalidImage, e.Code);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < MaxTime, $"{name} took {clock.Elapsed.TotalMilliseconds} ms");
        Assert.True(allocated < MaxAllocatedBytes, $"{name} allocated {allocated} bytes");

        // The same bytes from memory and from a stream fail the same way, naming the source.
        byte[] bytes = File.ReadAllBytes(path);
        e = Assert.Throws<LightNetException>(() => Tight.Process(bytes, "upload.bin"));
        Assert.Equal(ErrorCode.InvalidImage, e.Code);
        Assert.Contains("upload.bin", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<LightNetException>(() => Tight.Process(new ImagePreprocessorExactTests.NonSeekableStream(bytes), "socket"));
        Assert.Equal(ErrorCode.InvalidImage, e.Code);
        Assert.Contains("socket", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultLimitsRefuseTheCraftedFilesToo()
    {
        var pre = new ImagePreprocessor();
        foreach (string name in Crafted.Select(row => (string)row[0]))
        {
            Assert.Equal(ErrorCode.InvalidImage, Assert.Throws<LightNetException>(() => pre.Process(Bytes(name), name)).Code);
        }
    }

    [Fact]
    public void CompressedPngTextUnderTheChunkLimitIsNeverInflated()
    {
        // 40 MB of text in a 40 KB zTXt/iTXt: under the chunk-size limit, so only ignoring PNG metadata keeps it deflated.
        foreach (string type in new[] { "zTXt", "iTXt" })
        {
            byte[] png = CraftedImages.PngWithCompressedText(type, 40_000_000);
            Assert.True(png.Length < FormatChecks_MaxText, $"{type} file is {png.Length} bytes");
            using (new ImagePreprocessor().Decode(png))
            {
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            using Image<Rgb24> image = new ImagePreprocessor().Decode(png, "text.png");
            clock.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            output.WriteLine($"{type} 40 MB inflated: {clock.Elapsed.TotalMilliseconds:F2} ms, {allocated / 1024.0:F1} KiB managed");
            Assert.Equal((8, 8), (image.Width, image.Height));
            Assert.True(allocated < MaxAllocatedBytes, $"{type} allocated {allocated} bytes");
            Assert.True(clock.Elapsed < MaxTime, $"{type} took {clock.Elapsed.TotalMilliseconds} ms");
        }
    }

    private const int FormatChecks_MaxText = 64 * 1024;

    [Fact]
    public void LegitimateInterlacedPngsJpegsAndPalettedBmpsStillDecode()
    {
        using var image = new Image<Rgb24>(40, 30, new Rgb24(10, 200, 30));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream, new SixLabors.ImageSharp.Formats.Png.PngEncoder { InterlaceMethod = SixLabors.ImageSharp.Formats.Png.PngInterlaceMode.Adam7 });
        using (Image<Rgb24> decoded = new ImagePreprocessor().Decode(stream.ToArray()))
        {
            Assert.Equal((40, 30), (decoded.Width, decoded.Height));
        }

        using (Image<Rgb24> decoded = new ImagePreprocessor().Decode(CraftedImages.JpegWithAppSegments(10)))
        {
            Assert.Equal(16, decoded.Width);
        }

        using var bmp = new MemoryStream();
        image.SaveAsBmp(bmp, new SixLabors.ImageSharp.Formats.Bmp.BmpEncoder { BitsPerPixel = SixLabors.ImageSharp.Formats.Bmp.BmpBitsPerPixel.Pixel8 });
        using (Image<Rgb24> decoded = new ImagePreprocessor().Decode(bmp.ToArray()))
        {
            Assert.Equal((40, 30), (decoded.Width, decoded.Height));
        }
    }

    [Fact]
    public void OnlyRegularImageFilesAreReadAndTheCapIsCountedWhileReading()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // /dev/zero reports a length of 0 and never ends: it is refused before it is opened.
        var e = Assert.Throws<LightNetException>(() => new ImagePreprocessor().Decode("/dev/zero"));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains("/dev/zero", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a regular file", e.Message, StringComparison.Ordinal);

        using var dir = new TempDirectory();
        e = Assert.Throws<LightNetException>(() => new ImagePreprocessor().Decode(dir.Path));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains("is a directory", e.Message, StringComparison.Ordinal);

        string fifo = dir.File("pipe.png");
        if (LightNet.Tests.Onnx.ModelLoadTests.MakeFifo(fifo))
        {
            var clock = Stopwatch.StartNew();
            e = Assert.Throws<LightNetException>(() => new ImagePreprocessor().Decode(fifo));
            Assert.True(clock.Elapsed < MaxTime);
            Assert.Contains("not a regular file", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ABmpOffsetThatOverflowsIntoANegativeNumberIsRefused()
    {
        // ImageSharp reads the offset as a signed int: 0xFFFFFFF0 would become −16 and pass its own check.
        var e = Assert.Throws<LightNetException>(() => Tight.Process(CraftedImages.BmpWithPixelOffset(0xFFFFFFF0), "neg.bmp"));
        Assert.Equal(ErrorCode.InvalidImage, e.Code);
        Assert.Contains("4294967280", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LimitsOnSidePixelsBytesAndFramesAreEnforcedAndConfigurable()
    {
        byte[] png = CraftedImages.PngHeader(300, 200);
        var e = Assert.Throws<LightNetException>(() =>
            new ImagePreprocessor(PreprocessOptions.Torchvision with { Limits = ImageLimits.Default with { MaxSide = 299 } }).Decode(png));
        Assert.Contains("a side over 299", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<LightNetException>(() =>
            new ImagePreprocessor(PreprocessOptions.Torchvision with { Limits = ImageLimits.Default with { MaxPixels = 59_999 } }).Decode(png));
        Assert.Contains("60000 pixels, over the limit of 59999", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<LightNetException>(() =>
            new ImagePreprocessor(PreprocessOptions.Torchvision with { Limits = ImageLimits.Default with { MaxEncodedBytes = 20 } }).Decode(png));
        Assert.Contains("over the limit of 20", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<LightNetException>(() =>
            new ImagePreprocessor(PreprocessOptions.Torchvision with { Limits = ImageLimits.Default with { MaxEncodedBytes = 20 } })
                .Decode(new ImagePreprocessorExactTests.NonSeekableStream(png)));
        Assert.Contains("over the limit of 20", e.Message, StringComparison.Ordinal);

        // A GIF under the frame limit decodes its first frame only.
        using (Image<Rgb24> gif = new ImagePreprocessor().Decode(CraftedImages.Gif(500, 64, 48)))
        {
            Assert.Equal((64, 48), (gif.Width, gif.Height));
            Assert.Equal(1, gif.Frames.Count);
        }

        e = Assert.Throws<LightNetException>(() =>
            new ImagePreprocessor(PreprocessOptions.Torchvision with { Limits = ImageLimits.Default with { MaxFrames = 10 } }).Decode(CraftedImages.Gif(11)));
        Assert.Contains("more than 10 frames", e.Message, StringComparison.Ordinal);

        // The decoder's buffer limit: a 2000 × 2000 PNG needs 12 MB of pixels, over a 4 MB limit.
        using var big = new Image<Rgb24>(2000, 2000);
        using var stream = new MemoryStream();
        big.SaveAsPng(stream);
        e = Assert.Throws<LightNetException>(() => Tight.Decode(stream.ToArray(), "big.png"));
        Assert.Equal(ErrorCode.InvalidImage, e.Code);
        Assert.Contains("more memory than allowed", e.Message, StringComparison.Ordinal);

        var bad = Assert.Throws<LightNetException>(() => new ImagePreprocessor(PreprocessOptions.Torchvision with { Limits = ImageLimits.Default with { MaxSide = 0 } }));
        Assert.Equal(ErrorCode.InvalidArgument, bad.Code);
    }

    [Fact]
    public void CompleteJpegsWithTrailingDataAndThumbnailsAreAccepted()
    {
        byte[] full = CraftedImages.TruncatedJpeg(1.0, 64);
        byte[] withTrailer = [.. full, .. "trailer written by a phone"u8];
        using (Image<Rgb24> image = new ImagePreprocessor().Decode(withTrailer))
        {
            Assert.Equal(64, image.Width);
        }

        // Without its last two bytes (the end-of-image marker) the file counts as truncated.
        var e = Assert.Throws<LightNetException>(() => new ImagePreprocessor().Decode(full.AsMemory(0, full.Length - 2), "cut.jpg"));
        Assert.Contains("truncated JPEG", e.Message, StringComparison.Ordinal);

        foreach (string photo in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "TestImages"), "*.jpg"))
        {
            using Image<Rgb24> image = new ImagePreprocessor().Decode(photo);
            Assert.True(image.Width > 100);
        }
    }

    [Fact]
    public void MissingFileIsAnIOFailureAndTiffIsNotSupported()
    {
        var e = Assert.Throws<LightNetException>(() => new ImagePreprocessor().Process(Path.Combine(Path.GetTempPath(), "no-such-lightnet-image.jpg")));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains("no-such-lightnet-image.jpg", e.Message, StringComparison.Ordinal);

        using var image = new Image<Rgb24>(8, 8);
        using var tiff = new MemoryStream();
        image.SaveAsTiff(tiff);
        e = Assert.Throws<LightNetException>(() => new ImagePreprocessor().Process(tiff.ToArray(), "scan.tif"));
        Assert.Equal(ErrorCode.InvalidImage, e.Code);
        Assert.Contains("JPEG, PNG, BMP, GIF and WebP", e.Message, StringComparison.Ordinal);

        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => new ImagePreprocessor().Process("  ")).Code);
        Assert.Throws<ArgumentNullException>(() => new ImagePreprocessor().Process((Stream)null!));
        Assert.Throws<ArgumentNullException>(() => new ImagePreprocessor().Process((byte[])null!));
    }

    [Fact]
    public void WebPAndBmpAndGifDecode()
    {
        using var image = new Image<Rgb24>(20, 10, new Rgb24(10, 200, 30));
        foreach (Action<Stream> save in new Action<Stream>[] { s => image.SaveAsWebp(s), s => image.SaveAsBmp(s), s => image.SaveAsGif(s), s => image.SaveAsPng(s) })
        {
            using var stream = new MemoryStream();
            save(stream);
            using Image<Rgb24> decoded = new ImagePreprocessor().Decode(stream.ToArray());
            Assert.Equal((20, 10), (decoded.Width, decoded.Height));
        }
    }

    [Fact]
    public void ADecodePastTheDeadlineIsCancelledAndRefused()
    {
        // A 1500 × 1500 interlaced PNG and progressive JPEG take tens of milliseconds; under a 1 ms deadline they are stopped.
        using var image = new Image<Rgb24>(1500, 1500);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)(x * 7 + y), (byte)(y * 3), (byte)((x ^ y) * 5));
                }
            }
        });
        using var png = new MemoryStream();
        image.SaveAsPng(png, new SixLabors.ImageSharp.Formats.Png.PngEncoder { InterlaceMethod = SixLabors.ImageSharp.Formats.Png.PngInterlaceMode.Adam7 });
        using var jpeg = new MemoryStream();
        image.SaveAsJpeg(jpeg, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 90 });
        var hurried = new ImagePreprocessor(PreprocessOptions.Torchvision with { Limits = ImageLimits.Default with { MaxDecodeTime = TimeSpan.FromMilliseconds(1) } });
        foreach ((string name, byte[] bytes) in new[] { ("slow.png", png.ToArray()), ("slow.jpg", jpeg.ToArray()) })
        {
            using (new ImagePreprocessor().Decode(bytes, name))
            {
                // Decodes within the default deadline (and warms the decoder up).
            }

            var clock = Stopwatch.StartNew();
            var e = Assert.Throws<LightNetException>(() => hurried.Decode(bytes, name));
            clock.Stop();
            output.WriteLine($"{name}: stopped after {clock.Elapsed.TotalMilliseconds:F1} ms — {e.Message}");
            Assert.Equal(ErrorCode.InvalidImage, e.Code);
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
            Assert.Contains("did not decode within 1 ms (ImageLimits.MaxDecodeTime)", e.Message, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < MaxTime, $"{name} took {clock.Elapsed.TotalMilliseconds} ms to stop");
        }

        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() =>
            new ImagePreprocessor(PreprocessOptions.Torchvision with { Limits = ImageLimits.Default with { MaxDecodeTime = TimeSpan.Zero } })).Code);
    }
}
