using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Preprocessing;
using LightNet.Tests.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace LightNet.Tests.Preprocessing;

/// <summary>4:2:0 frames (NV12, NV21, I420, strided YUV_420_888 planes) against a double-precision reference conversion.</summary>
public class YuvFrameTests(ITestOutputHelper output)
{
    private const int Width = 62, Height = 46; // not a multiple of any vector width: the tails are covered too

    public static TheoryData<YuvColorMatrix, YuvRange> Spaces => new()
    {
        { YuvColorMatrix.Bt601, YuvRange.Full },
        { YuvColorMatrix.Bt601, YuvRange.Video },
        { YuvColorMatrix.Bt709, YuvRange.Full },
        { YuvColorMatrix.Bt709, YuvRange.Video },
    };

    [Theory]
    [MemberData(nameof(Spaces))]
    public void Every_layout_matches_the_reference_within_one_level(YuvColorMatrix matrix, YuvRange range)
    {
        (byte[] y, byte[] u, byte[] v) = RandomPlanes(seed: (int)matrix * 2 + (int)range);
        byte[] expected = Reference(y, u, v, matrix, range);
        foreach ((string name, YuvFrame frame) in Layouts(y, u, v, matrix, range))
        {
            var rgb = new byte[Width * Height * 3];
            YuvPreprocessing.ToRgb24(frame, rgb);
            int maxError = rgb.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"{matrix} {range} {name}: max |error| against the reference = {maxError}");
            Assert.True(maxError <= 1, $"{name}: max error {maxError}");
        }
    }

    [Fact]
    public void Reference_is_the_textbook_conversion()
    {
        // Video-range white, black and 75% red (BT.601) are the colour-bar values every encoder uses.
        Assert.Equal(new byte[] { 255, 255, 255 }, Reference([235], [128], [128], YuvColorMatrix.Bt601, YuvRange.Video));
        Assert.Equal(new byte[] { 0, 0, 0 }, Reference([16], [128], [128], YuvColorMatrix.Bt601, YuvRange.Video));
        Assert.Equal(new byte[] { 191, 0, 0 }, Reference([65], [100], [212], YuvColorMatrix.Bt601, YuvRange.Video), new ToleranceComparer(1));
    }

    [Fact]
    public void A_frame_feeds_the_preprocessor_as_its_rgb_would()
    {
        (byte[] y, byte[] u, byte[] v) = RandomPlanes(seed: 11);
        var pre = new ImagePreprocessor(PreprocessOptions.Torchvision.WithResolution(32));
        TensorBuffer fromYuv = pre.Process(Nv12(y, u, v, YuvColorMatrix.Bt709, YuvRange.Video));
        var rgb = new byte[Width * Height * 3];
        YuvPreprocessing.ToRgb24(Nv12(y, u, v, YuvColorMatrix.Bt709, YuvRange.Video), rgb);
        TensorBuffer fromRgb = pre.Process(new RawImage(rgb, Width, Height, RawPixelFormat.Rgb24));
        Assert.Equal(fromRgb.AsSpan<float>().ToArray(), fromYuv.AsSpan<float>().ToArray());
    }

    [Fact]
    public void Nv12_into_a_callers_tensor_allocates_nothing_once_warm()
    {
        var buffer = new byte[640 * 480 * 3 / 2];
        new Random(3).NextBytes(buffer);
        var pre = new ImagePreprocessor();
        TensorBuffer destination = pre.CreateBuffer();
        YuvFrame frame = YuvFrame.Nv12(buffer, 640, 480);
        Action process = () => pre.ProcessInto(frame, destination);
        for (int i = 0; i < 3; i++) process();
        long fewest = Allocations.FewestBytesPerWindow(process, framesPerWindow: 3, windows: 4);
        output.WriteLine($"NV12 640×480 → 224×224: {fewest} bytes in the quietest window of 3 frames");
        Assert.Equal(0, fewest); // any steady allocation per frame, even one byte, fails this
    }

    [Fact]
    public void Inconsistent_frames_are_rejected_naming_the_plane()
    {
        var small = new byte[Width * Height];
        var e = Assert.Throws<LightNetException>(() => YuvFrame.Nv12(small, Width, Height));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        e = Assert.Throws<LightNetException>(() => YuvFrame.I420(new byte[Width * Height * 3 / 2], Width + 1, Height));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        e = Assert.Throws<LightNetException>(() => YuvFrame.FromPlanes(new byte[Width * Height], Width, new byte[10], new byte[10], Width / 2, 1, Width, Height));
        Assert.Contains("Plane U", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<LightNetException>(() => YuvPreprocessing.ToRgb24(Nv12(new byte[Width * Height], new byte[Width * Height / 4], new byte[Width * Height / 4], YuvColorMatrix.Bt601, YuvRange.Full), new byte[10]));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    /// <summary>The same content as NV12, NV21, I420, strided planar and strided interleaved YUV_420_888 planes.</summary>
    private static IEnumerable<(string, YuvFrame)> Layouts(byte[] y, byte[] u, byte[] v, YuvColorMatrix matrix, YuvRange range)
    {
        int cw = Width / 2, ch = Height / 2;
        yield return ("NV12", Nv12(y, u, v, matrix, range));

        var nv21 = new byte[Width * Height * 3 / 2];
        y.CopyTo(nv21, 0);
        for (int i = 0; i < cw * ch; i++) (nv21[Width * Height + 2 * i], nv21[Width * Height + 2 * i + 1]) = (v[i], u[i]);
        yield return ("NV21", YuvFrame.Nv21(nv21, Width, Height, matrix, range));

        var i420 = new byte[Width * Height * 3 / 2];
        y.CopyTo(i420, 0);
        u.CopyTo(i420, Width * Height);
        v.CopyTo(i420, Width * Height + cw * ch);
        yield return ("I420", YuvFrame.I420(i420, Width, Height, matrix, range));

        // YUV_420_888 as Android cameras deliver it: padded rows, chroma planes with pixel stride 1 or 2.
        const int pad = 24;
        var yPadded = new byte[(Width + pad) * Height];
        for (int r = 0; r < Height; r++) y.AsSpan(r * Width, Width).CopyTo(yPadded.AsSpan(r * (Width + pad)));
        var uPlanar = new byte[(cw + pad) * ch];
        var vPlanar = new byte[(cw + pad) * ch];
        var interleaved = new byte[(Width + pad) * ch];
        for (int r = 0; r < ch; r++)
        {
            for (int c = 0; c < cw; c++)
            {
                uPlanar[r * (cw + pad) + c] = u[r * cw + c];
                vPlanar[r * (cw + pad) + c] = v[r * cw + c];
                interleaved[r * (Width + pad) + 2 * c] = u[r * cw + c];
                interleaved[r * (Width + pad) + 2 * c + 1] = v[r * cw + c];
            }
        }

        yield return ("YUV_420_888 pixel stride 1", YuvFrame.FromPlanes(yPadded, Width + pad, uPlanar, vPlanar, cw + pad, 1, Width, Height, matrix, range));
        yield return ("YUV_420_888 pixel stride 2", YuvFrame.FromPlanes(yPadded, Width + pad, interleaved, interleaved.AsMemory(1), Width + pad, 2, Width, Height, matrix, range));
    }

    private static YuvFrame Nv12(byte[] y, byte[] u, byte[] v, YuvColorMatrix matrix, YuvRange range)
    {
        var nv12 = new byte[y.Length + 2 * u.Length];
        y.CopyTo(nv12, 0);
        for (int i = 0; i < u.Length; i++) (nv12[y.Length + 2 * i], nv12[y.Length + 2 * i + 1]) = (u[i], v[i]);
        return YuvFrame.Nv12(nv12, Width, Height, matrix, range);
    }

    private static (byte[] Y, byte[] U, byte[] V) RandomPlanes(int seed)
    {
        var random = new Random(seed);
        var y = new byte[Width * Height];
        var u = new byte[Width / 2 * (Height / 2)];
        var v = new byte[u.Length];
        random.NextBytes(y);
        random.NextBytes(u);
        random.NextBytes(v);
        return (y, u, v);
    }

    /// <summary>The textbook conversion in double precision, one pixel at a time, each 2×2 block sharing its chroma sample.</summary>
    private static byte[] Reference(byte[] y, byte[] u, byte[] v, YuvColorMatrix matrix, YuvRange range)
    {
        (double kr, double kb) = matrix == YuvColorMatrix.Bt709 ? (0.2126, 0.0722) : (0.299, 0.114);
        double kg = 1 - kr - kb;
        bool video = range == YuvRange.Video;
        int width = y.Length == 1 ? 1 : Width, height = y.Length == 1 ? 1 : Height;
        var rgb = new byte[width * height * 3];
        for (int row = 0; row < height; row++)
        {
            for (int x = 0; x < width; x++)
            {
                int c = row / 2 * (width / 2 == 0 ? 1 : width / 2) + x / 2;
                double luma = video ? (y[row * width + x] - 16) * 255.0 / 219.0 : y[row * width + x];
                double cb = (u[c] - 128) * (video ? 255.0 / 224.0 : 1.0), cr = (v[c] - 128) * (video ? 255.0 / 224.0 : 1.0);
                double r = luma + 2 * (1 - kr) * cr;
                double g = luma - 2 * kb * (1 - kb) / kg * cb - 2 * kr * (1 - kr) / kg * cr;
                double b = luma + 2 * (1 - kb) * cb;
                rgb[3 * (row * width + x)] = (byte)Math.Clamp(Math.Round(r), 0, 255);
                rgb[3 * (row * width + x) + 1] = (byte)Math.Clamp(Math.Round(g), 0, 255);
                rgb[3 * (row * width + x) + 2] = (byte)Math.Clamp(Math.Round(b), 0, 255);
            }
        }

        return rgb;
    }

    private sealed class ToleranceComparer(int tolerance) : IEqualityComparer<byte>
    {
        public bool Equals(byte a, byte b) => Math.Abs(a - b) <= tolerance;

        public int GetHashCode(byte b) => 0;
    }
}
