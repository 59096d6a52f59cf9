using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Preprocessing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace LightNet.Tests.Preprocessing;

/// <summary>Tiny synthetic images whose expected tensors are worked out by hand.</summary>
public class ImagePreprocessorExactTests
{
    /// <summary>Raw values out: scale 1, mean 0, std 1, so a tensor value is the (resampled) pixel value.</summary>
    private static readonly PreprocessOptions Raw = new() { Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };

    private static (byte R, byte G, byte B) Pixel(int x, int y) => ((byte)(10 * x + y), (byte)(100 + x), (byte)(200 - y));

    /// <summary>A packed RGB24 image with pixel (x, y) = (10x + y, 100 + x, 200 − y).</summary>
    internal static RawImage Synthetic(int width, int height, RawPixelFormat format = RawPixelFormat.Rgb24, int padding = 0)
    {
        int bpp = RawImage.BytesPerPixel(format);
        int stride = width * bpp + padding;
        var bytes = new byte[stride * height];
        Array.Fill(bytes, (byte)0xEE); // padding and alpha must be ignored
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                (byte r, byte g, byte b) = Pixel(x, y);
                int p = y * stride + x * bpp;
                (bytes[p], bytes[p + 1], bytes[p + 2]) = format is RawPixelFormat.Rgb24 or RawPixelFormat.Rgba32 ? (r, g, b) : (b, g, r);
            }
        }

        return new RawImage(bytes, width, height, format, stride);
    }

    private static float At(TensorBuffer t, int c, int y, int x)
    {
        int h = (int)t.Shape[2], w = (int)t.Shape[3];
        return t.AsSpan<float>()[(c * h + y) * w + x];
    }

    [Fact]
    public void CenterCropTakesTheMiddleOfALandscapeImage()
    {
        // 6 × 4, shorter side 4 → no scaling (identity taps); crop 2 × 2 at left = round((6 − 2) / 2) = 2, top = round((4 − 2) / 2) = 1.
        var pre = new ImagePreprocessor(Raw with { ResizeShorterSide = 4, Width = 2, Height = 2 });
        TensorBuffer t = pre.Process(Synthetic(6, 4));

        Assert.Equal([1L, 3, 2, 2], t.Shape);
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 2; x++)
            {
                (byte r, byte g, byte b) = Pixel(x + 2, y + 1);
                Assert.Equal(r, At(t, 0, y, x));
                Assert.Equal(g, At(t, 1, y, x));
                Assert.Equal(b, At(t, 2, y, x));
            }
        }
    }

    [Fact]
    public void CenterCropRoundsHalfOffsetsToEvenAsTorchvisionDoes()
    {
        // 4 × 7 portrait, shorter side 4 → 4 × 7; crop 2 × 2: left = round(1.0) = 1, top = round(2.5) = 2 (half to even).
        var pre = new ImagePreprocessor(Raw with { ResizeShorterSide = 4, Width = 2, Height = 2 });
        TensorBuffer t = pre.Process(Synthetic(4, 7));
        Assert.Equal(Pixel(1, 2).R, At(t, 0, 0, 0));
        Assert.Equal(Pixel(2, 3).R, At(t, 0, 1, 1));

        // 4 × 9: top = round(3.5) = 4.
        t = pre.Process(Synthetic(4, 9));
        Assert.Equal(Pixel(1, 4).R, At(t, 0, 0, 0));
    }

    [Fact]
    public void TorchvisionNormalisationIsExact()
    {
        var bytes = new byte[2 * 2 * 3];
        for (int i = 0; i < 4; i++)
        {
            (bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2]) = ((byte)255, (byte)128, (byte)0);
        }

        var pre = new ImagePreprocessor(PreprocessOptions.Torchvision with { ResizeMode = ResizeMode.Stretch, Width = 2, Height = 2 });
        TensorBuffer t = pre.Process(new RawImage(bytes, 2, 2, RawPixelFormat.Rgb24));

        float[] expected = [(1f - 0.485f) / 0.229f, (128f / 255f - 0.456f) / 0.224f, (0f - 0.406f) / 0.225f];
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(expected[c], At(t, c, 1, 1), 5);
        }

        // TensorFlow: v / 127.5 − 1; Caffe: BGR minus the mean.
        t = new ImagePreprocessor(PreprocessOptions.TensorFlow with { ResizeMode = ResizeMode.Stretch, Width = 2, Height = 2 })
            .Process(new RawImage(bytes, 2, 2, RawPixelFormat.Rgb24));
        Assert.Equal(1f, At(t, 0, 0, 0), 5);
        Assert.Equal(128f / 127.5f - 1f, At(t, 1, 0, 0), 5);
        Assert.Equal(-1f, At(t, 2, 0, 0), 5);

        t = new ImagePreprocessor(PreprocessOptions.Caffe with { ResizeMode = ResizeMode.Stretch, Width = 2, Height = 2 })
            .Process(new RawImage(bytes, 2, 2, RawPixelFormat.Rgb24));
        Assert.Equal(0f - 103.939f, At(t, 0, 0, 0), 4); // blue first
        Assert.Equal(128f - 116.779f, At(t, 1, 0, 0), 4);
        Assert.Equal(255f - 123.68f, At(t, 2, 0, 0), 4);
    }

    [Fact]
    public void NhwcIsTheTransposeOfNchw()
    {
        var options = PreprocessOptions.Torchvision with { ResizeShorterSide = 9, Width = 7, Height = 5 };
        RawImage image = Synthetic(13, 9);
        TensorBuffer nchw = new ImagePreprocessor(options).Process(image);
        TensorBuffer nhwc = new ImagePreprocessor(options with { Layout = TensorLayout.Nhwc }).Process(image);

        Assert.Equal([1L, 5, 7, 3], nhwc.Shape);
        Span<float> a = nchw.AsSpan<float>(), b = nhwc.AsSpan<float>();
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 5; y++)
            {
                for (int x = 0; x < 7; x++)
                {
                    Assert.Equal(a[(c * 5 + y) * 7 + x], b[(y * 7 + x) * 3 + c]);
                }
            }
        }
    }

    [Fact]
    public void BgrReversesTheChannelsAndEveryRawFormatAndStrideGivesTheSameTensor()
    {
        var options = Raw with { ResizeShorterSide = 6, Width = 5, Height = 5, Resampler = Resampler.Bicubic };
        float[] rgb = new ImagePreprocessor(options).Process(Synthetic(9, 6)).ToFloatArray();
        float[] bgr = new ImagePreprocessor(options with { ColorOrder = ColorOrder.Bgr }).Process(Synthetic(9, 6)).ToFloatArray();
        int plane = 25;
        Assert.Equal(rgb.AsSpan(0, plane).ToArray(), bgr.AsSpan(2 * plane, plane).ToArray());
        Assert.Equal(rgb.AsSpan(plane, plane).ToArray(), bgr.AsSpan(plane, plane).ToArray());
        Assert.Equal(rgb.AsSpan(2 * plane, plane).ToArray(), bgr.AsSpan(0, plane).ToArray());

        var pre = new ImagePreprocessor(options);
        foreach (RawPixelFormat format in Enum.GetValues<RawPixelFormat>())
        {
            Assert.Equal(rgb, pre.Process(Synthetic(9, 6, format)).ToFloatArray());
            Assert.Equal(rgb, pre.Process(Synthetic(9, 6, format, padding: 5)).ToFloatArray());
        }
    }

    [Fact]
    public void BilinearShrinkIsAntialiasedLikePillow()
    {
        // Row [0, 70, 140, 210] → 2 values. Scale 2 widens the triangle filter to ±2 source pixels:
        // out[0]: centre 1.0, taps 0, 1, 2 with weights 0.75, 0.75, 0.25 → (0 + 52.5 + 35) / 1.75 = 50;
        // out[1]: centre 3.0, taps 1, 2, 3 with weights 0.25, 0.75, 0.75 → (17.5 + 105 + 157.5) / 1.75 = 160.
        var bytes = new byte[4 * 3];
        for (int x = 0; x < 4; x++)
        {
            bytes[3 * x] = (byte)(70 * x);
        }

        var pre = new ImagePreprocessor(Raw with { ResizeMode = ResizeMode.Stretch, Width = 2, Height = 1 });
        float[] t = pre.Process(new RawImage(bytes, 4, 1, RawPixelFormat.Rgb24)).ToFloatArray();
        Assert.Equal(50f, t[0], 4);
        Assert.Equal(160f, t[1], 4);
    }

    [Fact]
    public void BilinearEnlargeUsesHalfPixelCentres()
    {
        // [0, 100] → 4 values at source positions −0.25, 0.25, 0.75, 1.25 (clamped at the edges): 0, 25, 75, 100.
        var bytes = new byte[2 * 3];
        bytes[3] = 100;
        var pre = new ImagePreprocessor(Raw with { ResizeMode = ResizeMode.Stretch, Width = 4, Height = 1 });
        float[] t = pre.Process(new RawImage(bytes, 2, 1, RawPixelFormat.Rgb24)).ToFloatArray();
        Assert.Equal([0f, 25f, 75f, 100f], t.AsSpan(0, 4).ToArray());

        // Nearest neighbour repeats each pixel.
        pre = new ImagePreprocessor(Raw with { ResizeMode = ResizeMode.Stretch, Width = 4, Height = 1, Resampler = Resampler.NearestNeighbor });
        t = pre.Process(new RawImage(bytes, 2, 1, RawPixelFormat.Rgb24)).ToFloatArray();
        Assert.Equal([0f, 0f, 100f, 100f], t.AsSpan(0, 4).ToArray());
    }

    [Fact]
    public void ShorterSideResizeScalesBothAxesEqually()
    {
        // 8 × 4 of constant 2 × 2 blocks → shorter side 2: 4 × 2; nearest neighbour samples the block centres.
        var bytes = new byte[8 * 4 * 3];
        for (int y = 0; y < 4; y++)
        {
            for (int x = 0; x < 8; x++)
            {
                bytes[(y * 8 + x) * 3] = (byte)(x / 2 * 40 + y / 2 * 10);
            }
        }

        var pre = new ImagePreprocessor(Raw with { ResizeShorterSide = 2, Width = 2, Height = 2, Resampler = Resampler.NearestNeighbor });
        float[] t = pre.Process(new RawImage(bytes, 8, 4, RawPixelFormat.Rgb24)).ToFloatArray();

        // Resized 4 × 2 blocks (0, 40, 80, 120 / 10, 50, 90, 130); centre crop 2 × 2 at left 1.
        Assert.Equal([40f, 80f, 50f, 90f], t.AsSpan(0, 4).ToArray());
    }

    [Fact]
    public void LetterboxCentresTheImageAndFillsTheBorders()
    {
        // 4 × 2 into a 4 × 4 canvas: scale 1, content rows 1–2, rows 0 and 3 get the fill value 114.
        var pre = new ImagePreprocessor(Raw with { ResizeMode = ResizeMode.Letterbox, Width = 4, Height = 4, LetterboxFill = 114 });
        TensorBuffer t = pre.Process(Synthetic(4, 2));
        for (int c = 0; c < 3; c++)
        {
            for (int x = 0; x < 4; x++)
            {
                Assert.Equal(114f, At(t, c, 0, x));
                Assert.Equal(114f, At(t, c, 3, x));
            }
        }

        Assert.Equal(Pixel(3, 0).R, At(t, 0, 1, 3));
        Assert.Equal(Pixel(2, 1).B, At(t, 2, 2, 2));

        // NHWC letterbox with normalisation: the fill is normalised like a pixel.
        var tv = new ImagePreprocessor(PreprocessOptions.Torchvision with
        {
            ResizeMode = ResizeMode.Letterbox, Width = 4, Height = 4, LetterboxFill = 255, Layout = TensorLayout.Nhwc,
        });
        float[] v = tv.Process(Synthetic(2, 4)).ToFloatArray();
        Assert.Equal((1f - 0.485f) / 0.229f, v[0], 5); // (0, 0) is border
        Assert.Equal((1f - 0.406f) / 0.225f, v[2], 5);
        Assert.Equal((Pixel(0, 0).R / 255f - 0.485f) / 0.229f, v[3], 5); // (x 1, y 0) is the image's first pixel
    }

    [Fact]
    public void Float16AndUInt8MatchFloat32()
    {
        RawImage image = Synthetic(11, 7);
        var options = PreprocessOptions.Torchvision with { ResizeShorterSide = 7, Width = 5, Height = 5 };
        float[] f32 = new ImagePreprocessor(options).Process(image).ToFloatArray();

        TensorBuffer f16 = new ImagePreprocessor(options with { ElementType = TensorElementType.Float16 }).Process(image);
        Assert.Equal(TensorElementType.Float16, f16.ElementType);
        Assert.Equal(f32.Select(v => (float)(Half)v), f16.ToFloatArray());

        var raw = Raw with { ResizeShorterSide = 7, Width = 5, Height = 5, Resampler = Resampler.Bicubic };
        float[] rawFloat = new ImagePreprocessor(raw).Process(image).ToFloatArray();
        TensorBuffer u8 = new ImagePreprocessor(raw with { ElementType = TensorElementType.UInt8 }).Process(image);
        Assert.Equal(TensorElementType.UInt8, u8.ElementType);
        Assert.Equal(rawFloat.Select(v => (byte)Math.Clamp(MathF.Floor(v + 0.5f), 0, 255)).ToArray(), u8.AsSpan<byte>().ToArray());

        // Clamping: a scale that overshoots 255 saturates instead of wrapping, across a row long enough for the vector path.
        var wide = new ImagePreprocessor(raw with { ElementType = TensorElementType.UInt8, Scale = 3f, Width = 64, Height = 2, ResizeMode = ResizeMode.Stretch });
        byte[] sat = wide.Process(Synthetic(64, 2)).AsSpan<byte>().ToArray();
        Assert.Equal(255, sat[64 * 2 + 63]); // green plane, 3 × (100 + 63) > 255
        Assert.Equal(30, sat[1]); // red plane, 3 × 10
    }

    [Fact]
    public void BatchesStackImagesOfAnySizeInOrder()
    {
        var pre = new ImagePreprocessor();
        RawImage a = Synthetic(300, 260), b = Synthetic(250, 400, RawPixelFormat.Bgra32);
        TensorBuffer batch = pre.Process(new[] { a, b });
        Assert.Equal([2L, 3, 224, 224], batch.Shape);
        float[] all = batch.ToFloatArray();
        Assert.Equal(pre.Process(a).ToFloatArray(), all.AsSpan(0, pre.ValuesPerImage).ToArray());
        Assert.Equal(pre.Process(b).ToFloatArray(), all.AsSpan(pre.ValuesPerImage).ToArray());

        // The same through encoded bytes and decoded images.
        byte[] png = EncodePng(a);
        using Image<Rgb24> decoded = Image.Load<Rgb24>(png);
        TensorBuffer fromBytes = pre.Process(new List<byte[]> { png, png });
        TensorBuffer fromImages = pre.Process(new List<Image<Rgb24>> { decoded });
        Assert.Equal(pre.Process(a).ToFloatArray(), fromImages.ToFloatArray());
        Assert.Equal(fromImages.ToFloatArray(), fromBytes.ToFloatArray().AsSpan(pre.ValuesPerImage).ToArray());
    }

    [Fact]
    public void EveryInputKindGivesTheSameTensor()
    {
        RawImage raw = Synthetic(120, 90);
        byte[] png = EncodePng(raw);
        string path = Path.Combine(Path.GetTempPath(), $"lightnet-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(path, png);
        try
        {
            var pre = new ImagePreprocessor(PreprocessOptions.Torchvision.WithResolution(64));
            float[] expected = pre.Process(raw).ToFloatArray();
            using Image<Rgb24> image = Image.Load<Rgb24>(png);
            Assert.Equal(expected, pre.Process(path).ToFloatArray());
            Assert.Equal(expected, pre.Process(png).ToFloatArray());
            Assert.Equal(expected, pre.Process(new MemoryStream(png)).ToFloatArray());
            Assert.Equal(expected, pre.Process(new NonSeekableStream(png)).ToFloatArray());
            Assert.Equal(expected, pre.Process(image).ToFloatArray());
            Assert.Equal(expected, pre.Process(new[] { path }).ToFloatArray());

            // A stream is read from its current position.
            var prefixed = new MemoryStream([.. new byte[] { 1, 2, 3 }, .. png]) { Position = 3 };
            Assert.Equal(expected, pre.Process(prefixed).ToFloatArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ExifOrientationIsApplied()
    {
        // 32 × 16 stored: left half red, right half blue; orientation 6 (RightTop) means "rotate 90° clockwise to view":
        // the viewer sees 16 × 32 with red on top.
        using var stored = new Image<Rgb24>(32, 16);
        stored.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    row[x] = x < 16 ? new Rgb24(255, 0, 0) : new Rgb24(0, 0, 255);
                }
            }
        });
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        using var jpeg = new MemoryStream();
        stored.Save(jpeg, new JpegEncoder { Quality = 100 });
        byte[] bytes = jpeg.ToArray();

        var pre = new ImagePreprocessor(Raw with { ResizeMode = ResizeMode.Stretch, Width = 16, Height = 32 });
        using (Image<Rgb24> viewed = pre.Decode(bytes))
        {
            Assert.Equal((16, 32), (viewed.Width, viewed.Height));
        }

        TensorBuffer t = pre.Process(bytes);
        Assert.True(At(t, 0, 4, 8) > 200 && At(t, 2, 4, 8) < 50, "top is red");
        Assert.True(At(t, 0, 27, 8) < 50 && At(t, 2, 27, 8) > 200, "bottom is blue");

        // Without orientation the stored 32 × 16 layout comes through.
        var plain = new ImagePreprocessor(Raw with { ResizeMode = ResizeMode.Stretch, Width = 32, Height = 16, AutoOrient = false });
        TensorBuffer p = plain.Process(bytes);
        Assert.True(At(p, 0, 8, 4) > 200 && At(p, 2, 8, 28) > 200);
    }

    [Fact]
    public void ProcessIntoFillsOneImageOfABatchAndChecksTheDestination()
    {
        var pre = new ImagePreprocessor();
        TensorBuffer batch = pre.CreateBuffer(3);
        RawImage image = Synthetic(40, 30);
        pre.ProcessInto(image, batch, 1);
        float[] all = batch.ToFloatArray();
        Assert.All(all.AsSpan(0, pre.ValuesPerImage).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(pre.Process(image).ToFloatArray(), all.AsSpan(pre.ValuesPerImage, pre.ValuesPerImage).ToArray());
        Assert.All(all.AsSpan(2 * pre.ValuesPerImage).ToArray(), v => Assert.Equal(0f, v));

        void Bad(Action action, string fragment)
        {
            var e = Assert.Throws<LightNetException>(action);
            Assert.Equal(ErrorCode.InvalidArgument, e.Code);
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        }

        Bad(() => pre.ProcessInto(image, batch, 3), "Batch index 3");
        Bad(() => pre.ProcessInto(image, batch, -1), "Batch index -1");
        Bad(() => pre.ProcessInto(image, TensorBuffer.Allocate(TensorElementType.Float16, [1, 3, 224, 224])), "Float16");
        Bad(() => pre.ProcessInto(image, TensorBuffer.Allocate(TensorElementType.Float, [1, 224, 224, 3])), "[1, 224, 224, 3]");
        Assert.Throws<ArgumentNullException>(() => pre.ProcessInto(image, null!));
        Bad(() => pre.ProcessInto(new byte[10], 4, 4, 0, RawPixelFormat.Rgb24, batch), "needs 48 bytes");
        Bad(() => pre.ProcessInto(new byte[100], 4, 4, 5, RawPixelFormat.Rgb24, batch), "Stride 5");
        Bad(() => _ = new RawImage(new byte[10], 0, 4, RawPixelFormat.Rgb24), "positive width");
        Assert.Throws<ArgumentNullException>(() => pre.Process((Image<Rgb24>)null!));
        Bad(() => pre.Process(Array.Empty<RawImage>()), "at least one");
    }

    [Fact]
    public void OnePreprocessorServesSeveralThreadsWithDifferentFrameSizes()
    {
        var pre = new ImagePreprocessor(PreprocessOptions.Torchvision.WithResolution(32));
        RawImage[] frames = [Synthetic(64, 48), Synthetic(40, 90, RawPixelFormat.Bgra32), Synthetic(33, 33, RawPixelFormat.Bgr24)];
        float[][] expected = frames.Select(f => pre.Process(f).ToFloatArray()).ToArray();
        Parallel.For(0, 60, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            TensorBuffer t = pre.CreateBuffer();
            pre.ProcessInto(frames[i % 3], t);
            Assert.Equal(expected[i % 3], t.ToFloatArray());
        });
    }

    [Fact]
    public void ALargeImageInDiscontiguousMemoryGivesTheSameTensorAsItsPixels()
    {
        // ImageSharp's default allocator splits big images into several buffers; the preprocessor copies those.
        RawImage raw = Synthetic(2400, 1800);
        using Image<Rgb24> image = Image.LoadPixelData<Rgb24>(raw.Pixels.Span, raw.Width, raw.Height);
        Assert.False(image.DangerousTryGetSinglePixelMemory(out _));
        var pre = new ImagePreprocessor(PreprocessOptions.Torchvision with { Resampler = Resampler.Bicubic });
        Assert.Equal(pre.Process(raw).ToFloatArray(), pre.Process(image).ToFloatArray());
    }

    private static byte[] EncodePng(RawImage raw)
    {
        using var image = Image.LoadPixelData<Rgb24>(raw.Pixels.Span, raw.Width, raw.Height);
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    /// <summary>A stream that cannot seek or tell its length, like a network response.</summary>
    internal sealed class NonSeekableStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1000));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
