using System.Numerics;
using System.Numerics.Tensors;
using LightNet.Backends;

namespace LightNet.Preprocessing;

/// <summary>The matrix that turns Y'CbCr into R'G'B'.</summary>
public enum YuvColorMatrix
{
    /// <summary>ITU-R BT.601 (standard definition; what most phone cameras and JPEG use).</summary>
    Bt601,

    /// <summary>ITU-R BT.709 (HD video).</summary>
    Bt709,
}

/// <summary>The value range of Y, Cb and Cr.</summary>
public enum YuvRange
{
    /// <summary>Y 0–255 and Cb/Cr 0–255 around 128 (JPEG, most camera still pipelines; Android's "full range").</summary>
    Full,

    /// <summary>Y 16–235 and Cb/Cr 16–240 ("video", "limited" or "TV" range; video decoders).</summary>
    Video,
}

/// <summary>
/// A camera frame in 4:2:0 Y'CbCr, as phones and video decoders deliver it: a luma plane and two chroma planes at half
/// the width and height, each with its own row stride, the chroma samples <see cref="ChromaPixelStride"/> bytes apart
/// (1 for planar I420, 2 for the interleaved planes of NV12 and NV21). Android's <c>YUV_420_888</c> <c>Image</c> maps
/// to <see cref="FromPlanes"/> with each plane's <c>getRowStride()</c> and <c>getPixelStride()</c>; iOS's
/// <c>kCVPixelFormatType_420YpCbCr8BiPlanarFullRange</c> / <c>...VideoRange</c> buffers are <see cref="Nv12"/>.
/// </summary>
/// <remarks>
/// Hand a frame to <see cref="YuvPreprocessing.ProcessInto(ImagePreprocessor, in YuvFrame, TensorBuffer, int)"/> or to
/// <c>Classifier.ClassifyInto</c>. Each 2 × 2 block of pixels takes the chroma sample of its block (no chroma filtering).
/// </remarks>
public readonly struct YuvFrame
{
    private YuvFrame(ReadOnlyMemory<byte> y, int yStride, ReadOnlyMemory<byte> u, ReadOnlyMemory<byte> v, int chromaStride,
        int chromaPixelStride, int width, int height, YuvColorMatrix matrix, YuvRange range)
    {
        if (width < 2 || height < 2 || width % 2 != 0 || height % 2 != 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"A 4:2:0 frame needs an even width and height of at least 2, not {width} × {height}.");
        }

        // Not Enum.IsDefined: the reflection cache behind it is held weakly, so after every garbage collection it is built
        // again (480 bytes for these two enums), and a camera loop must allocate nothing per frame.
        if (matrix is not (YuvColorMatrix.Bt601 or YuvColorMatrix.Bt709) || range is not (YuvRange.Full or YuvRange.Video))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Unknown colour matrix {(int)matrix} or range {(int)range}.");
        }

        CheckPlane("Y", y.Length, yStride, width, 1, height);
        CheckPlane("U (Cb)", u.Length, chromaStride, width / 2, chromaPixelStride, height / 2);
        CheckPlane("V (Cr)", v.Length, chromaStride, width / 2, chromaPixelStride, height / 2);
        Y = y;
        YStride = yStride;
        U = u;
        V = v;
        ChromaStride = chromaStride;
        ChromaPixelStride = chromaPixelStride;
        Width = width;
        Height = height;
        Matrix = matrix;
        Range = range;
    }

    /// <summary>The luma plane.</summary>
    public ReadOnlyMemory<byte> Y { get; }

    /// <summary>Bytes from one luma row to the next.</summary>
    public int YStride { get; }

    /// <summary>The Cb plane, starting at the first Cb sample.</summary>
    public ReadOnlyMemory<byte> U { get; }

    /// <summary>The Cr plane, starting at the first Cr sample.</summary>
    public ReadOnlyMemory<byte> V { get; }

    /// <summary>Bytes from one chroma row to the next (both chroma planes).</summary>
    public int ChromaStride { get; }

    /// <summary>Bytes from one chroma sample to the next within a row: 1 (planar) or 2 (interleaved).</summary>
    public int ChromaPixelStride { get; }

    /// <summary>Width in pixels (even).</summary>
    public int Width { get; }

    /// <summary>Height in pixels (even).</summary>
    public int Height { get; }

    /// <summary>The colour matrix.</summary>
    public YuvColorMatrix Matrix { get; }

    /// <summary>The value range.</summary>
    public YuvRange Range { get; }

    /// <summary>NV12: the Y plane, then interleaved Cb, Cr rows (iOS camera buffers, most hardware video decoders).</summary>
    /// <param name="buffer">Y rows, then the half-height chroma rows, starting at <c>stride × height</c> (or <paramref name="chromaOffset"/>).</param>
    /// <param name="width">Width in pixels (even).</param>
    /// <param name="height">Height in pixels (even).</param>
    /// <param name="matrix">Colour matrix.</param>
    /// <param name="range">Value range.</param>
    /// <param name="stride">Bytes per row of both planes; 0 for <paramref name="width"/>.</param>
    /// <param name="chromaOffset">Where the chroma plane starts; 0 for <c>stride × height</c>.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the sizes do not fit the buffer.</exception>
    public static YuvFrame Nv12(ReadOnlyMemory<byte> buffer, int width, int height, YuvColorMatrix matrix = YuvColorMatrix.Bt601,
        YuvRange range = YuvRange.Video, int stride = 0, int chromaOffset = 0) => SemiPlanar(buffer, width, height, matrix, range, stride, chromaOffset, vFirst: false);

    /// <summary>NV21: the Y plane, then interleaved Cr, Cb rows (Android's legacy camera API).</summary>
    /// <inheritdoc cref="Nv12" />
    public static YuvFrame Nv21(ReadOnlyMemory<byte> buffer, int width, int height, YuvColorMatrix matrix = YuvColorMatrix.Bt601,
        YuvRange range = YuvRange.Full, int stride = 0, int chromaOffset = 0) => SemiPlanar(buffer, width, height, matrix, range, stride, chromaOffset, vFirst: true);

    /// <summary>I420 (YUV420p): the Y plane, then the Cb plane, then the Cr plane, the chroma planes at half the stride.</summary>
    /// <param name="buffer">The three planes back to back.</param>
    /// <param name="width">Width in pixels (even).</param>
    /// <param name="height">Height in pixels (even).</param>
    /// <param name="matrix">Colour matrix.</param>
    /// <param name="range">Value range.</param>
    /// <param name="stride">Bytes per luma row; 0 for <paramref name="width"/>. Chroma rows are stride / 2 bytes.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the sizes do not fit the buffer.</exception>
    public static YuvFrame I420(ReadOnlyMemory<byte> buffer, int width, int height, YuvColorMatrix matrix = YuvColorMatrix.Bt601,
        YuvRange range = YuvRange.Video, int stride = 0)
    {
        stride = stride == 0 ? width : stride;
        if (stride % 2 != 0 || stride < width || (long)stride * height * 3 / 2 > buffer.Length)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"An I420 {width} × {height} frame with stride {stride} needs an even stride ≥ width and {(long)stride * height * 3 / 2} bytes; the buffer holds {buffer.Length}.");
        }

        int ySize = stride * height, cSize = stride / 2 * (height / 2);
        return new YuvFrame(buffer[..ySize], stride, buffer.Slice(ySize, cSize), buffer.Slice(ySize + cSize, cSize), stride / 2, 1, width, height, matrix, range);
    }

    /// <summary>Three planes with their own strides: Android's <c>YUV_420_888</c> (<c>Image.getPlanes()</c>).</summary>
    /// <param name="y">Plane 0.</param>
    /// <param name="yRowStride">Plane 0's row stride.</param>
    /// <param name="u">Plane 1 (Cb), from its first sample.</param>
    /// <param name="v">Plane 2 (Cr), from its first sample.</param>
    /// <param name="chromaRowStride">Planes 1 and 2's row stride.</param>
    /// <param name="chromaPixelStride">Planes 1 and 2's pixel stride: 1 or 2.</param>
    /// <param name="width">Width in pixels (even).</param>
    /// <param name="height">Height in pixels (even).</param>
    /// <param name="matrix">Colour matrix.</param>
    /// <param name="range">Value range (Android cameras: full).</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when a plane is too small for its strides.</exception>
    public static YuvFrame FromPlanes(ReadOnlyMemory<byte> y, int yRowStride, ReadOnlyMemory<byte> u, ReadOnlyMemory<byte> v,
        int chromaRowStride, int chromaPixelStride, int width, int height, YuvColorMatrix matrix = YuvColorMatrix.Bt601, YuvRange range = YuvRange.Full) =>
        new(y, yRowStride, u, v, chromaRowStride, chromaPixelStride, width, height, matrix, range);

    /// <inheritdoc />
    public override string ToString() => $"4:2:0 {Width}×{Height} {Matrix} {Range} (chroma pixel stride {ChromaPixelStride})";

    private static YuvFrame SemiPlanar(ReadOnlyMemory<byte> buffer, int width, int height, YuvColorMatrix matrix, YuvRange range, int stride, int chromaOffset, bool vFirst)
    {
        stride = stride == 0 ? width : stride;
        chromaOffset = chromaOffset == 0 ? stride * height : chromaOffset;
        if (stride < width || chromaOffset < stride * (height - 1) + width || chromaOffset + 1 >= buffer.Length)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"A semi-planar {width} × {height} frame with stride {stride} and chroma at {chromaOffset} does not fit a buffer of {buffer.Length} bytes.");
        }

        ReadOnlyMemory<byte> chroma = buffer[chromaOffset..];
        return new YuvFrame(buffer, stride, vFirst ? chroma[1..] : chroma, vFirst ? chroma : chroma[1..], stride, 2, width, height, matrix, range);
    }

    private static void CheckPlane(string name, int length, int rowStride, int samples, int pixelStride, int rows)
    {
        if (pixelStride is not (1 or 2))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Plane {name}: pixel stride {pixelStride}; 1 or 2 expected.");
        }

        long rowBytes = (long)(samples - 1) * pixelStride + 1;
        long needed = (long)rowStride * (rows - 1) + rowBytes;
        if (rowStride < rowBytes || length < needed)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Plane {name}: {rows} rows of {samples} samples with row stride {rowStride} and pixel stride {pixelStride} need {needed} bytes (row stride ≥ {rowBytes}); it holds {length}.");
        }
    }
}

/// <summary>4:2:0 camera frames into a model's input tensor, through <see cref="ImagePreprocessor"/>.</summary>
public static class YuvPreprocessing
{
    [ThreadStatic]
    private static byte[]? t_rgb;

    [ThreadStatic]
    private static float[]? t_rows;

    /// <summary>
    /// Converts <paramref name="frame"/> to RGB (vectorised) and preprocesses it into image <paramref name="batchIndex"/> of
    /// <paramref name="destination"/>, as <see cref="ImagePreprocessor.ProcessInto(RawImage, TensorBuffer, int)"/> does
    /// for RGB frames. After the first frame of a given size this allocates nothing.
    /// </summary>
    /// <param name="preprocessor">The preprocessor.</param>
    /// <param name="frame">The frame.</param>
    /// <param name="destination">A tensor of the preprocessor's shape (any batch size) and element type.</param>
    /// <param name="batchIndex">Which image of the batch to overwrite.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a mismatched destination or an empty frame.</exception>
    public static void ProcessInto(this ImagePreprocessor preprocessor, in YuvFrame frame, TensorBuffer destination, int batchIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        if (frame.Width == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The YUV frame is empty (default(YuvFrame)).");
        }

        int rowBytes = frame.Width * 3;
        byte[] rgb = t_rgb is { } r && r.Length >= rowBytes * frame.Height ? r : (t_rgb = new byte[rowBytes * frame.Height]);
        ToRgb24(frame, rgb.AsSpan(0, rowBytes * frame.Height));
        preprocessor.ProcessInto(rgb.AsSpan(0, rowBytes * frame.Height), frame.Width, frame.Height, rowBytes, RawPixelFormat.Rgb24, destination, batchIndex);
    }

    /// <summary>Preprocesses <paramref name="frame"/> into a new [1, ...] tensor.</summary>
    /// <param name="preprocessor">The preprocessor.</param>
    /// <param name="frame">The frame.</param>
    /// <exception cref="LightNetException">As for <see cref="ProcessInto"/>.</exception>
    public static TensorBuffer Process(this ImagePreprocessor preprocessor, in YuvFrame frame)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        TensorBuffer t = preprocessor.CreateBuffer();
        preprocessor.ProcessInto(frame, t);
        return t;
    }

    /// <summary>
    /// Converts a frame to packed RGB24 (<c>width × 3</c> bytes per row), rounding to the nearest value and clamping to
    /// 0–255. The arithmetic runs in <see cref="Vector{T}"/> lanes of float.
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="rgb">At least <c>width × height × 3</c> bytes.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when <paramref name="rgb"/> is too small.</exception>
    public static void ToRgb24(in YuvFrame frame, Span<byte> rgb)
    {
        int width = frame.Width, height = frame.Height;
        if (rgb.Length < width * height * 3)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"{width} × {height} RGB24 needs {width * height * 3} bytes; the destination holds {rgb.Length}.");
        }

        Coefficients k = Coefficients.For(frame.Matrix, frame.Range);
        int padded = (width + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;
        float[] rows = t_rows is { } t && t.Length >= 6 * padded ? t : (t_rows = new float[6 * padded]);
        Span<float> ys = rows.AsSpan(0, padded), us = rows.AsSpan(padded, padded), vs = rows.AsSpan(2 * padded, padded);
        Span<float> rs = rows.AsSpan(3 * padded, padded), gs = rows.AsSpan(4 * padded, padded), bs = rows.AsSpan(5 * padded, padded);
        ReadOnlySpan<byte> yPlane = frame.Y.Span, uPlane = frame.U.Span, vPlane = frame.V.Span;
        int cps = frame.ChromaPixelStride;
        for (int row = 0; row < height; row++)
        {
            TensorPrimitives.ConvertChecked(yPlane.Slice(row * frame.YStride, width), ys[..width]);
            int chromaRow = row / 2 * frame.ChromaStride;

            for (int cx = 0, x = 0; x < width; cx += cps, x += 2)
            {
                float u = uPlane[chromaRow + cx], v = vPlane[chromaRow + cx];
                us[x] = us[x + 1] = u;
                vs[x] = vs[x + 1] = v;
            }

            Convert(ys, us, vs, rs, gs, bs, k);
            Span<byte> outRow = rgb.Slice(row * width * 3, width * 3);
            for (int x = 0; x < width; x++)
            {
                outRow[3 * x] = (byte)rs[x];
                outRow[(3 * x) + 1] = (byte)gs[x];
                outRow[(3 * x) + 2] = (byte)bs[x];
            }
        }
    }

    /// <summary>R, G, B from Y, Cb, Cr rows (padded to whole vectors), rounded and clamped to 0–255.</summary>
    private static void Convert(ReadOnlySpan<float> ys, ReadOnlySpan<float> us, ReadOnlySpan<float> vs, Span<float> rs, Span<float> gs, Span<float> bs, in Coefficients k)
    {
        var yOffset = new Vector<float>(k.YOffset);
        var yScale = new Vector<float>(k.YScale);
        var half = new Vector<float>(128f);
        var rv = new Vector<float>(k.RV);
        var gu = new Vector<float>(k.GU);
        var gv = new Vector<float>(k.GV);
        var bu = new Vector<float>(k.BU);
        var round = new Vector<float>(0.5f);
        var max = new Vector<float>(255f);
        int n = Vector<float>.Count;
        for (int i = 0; i + n <= ys.Length; i += n)
        {
            Vector<float> y = (new Vector<float>(ys[i..]) - yOffset) * yScale;
            Vector<float> u = new Vector<float>(us[i..]) - half;
            Vector<float> v = new Vector<float>(vs[i..]) - half;
            Clamp(y + (rv * v) + round, max).CopyTo(rs[i..]);
            Clamp(y - (gu * u) - (gv * v) + round, max).CopyTo(gs[i..]);
            Clamp(y + (bu * u) + round, max).CopyTo(bs[i..]);
        }

        static Vector<float> Clamp(Vector<float> x, Vector<float> max) => Vector.Floor(Vector.Min(Vector.Max(x, Vector<float>.Zero), max));
    }

    /// <summary>
    /// The conversion constants: Y' = (Y − offset) × yScale, and with Cb = U − 128, Cr = V − 128 (scaled by 255/224 in
    /// video range) R = Y' + 2(1 − Kr)·Cr, G = Y' − (2Kb(1 − Kb)/Kg)·Cb − (2Kr(1 − Kr)/Kg)·Cr, B = Y' + 2(1 − Kb)·Cb.
    /// </summary>
    internal readonly record struct Coefficients(float YOffset, float YScale, float RV, float GU, float GV, float BU)
    {
        public static Coefficients For(YuvColorMatrix matrix, YuvRange range)
        {
            (double kr, double kb) = matrix == YuvColorMatrix.Bt709 ? (0.2126, 0.0722) : (0.299, 0.114);
            double kg = 1 - kr - kb;
            bool video = range == YuvRange.Video;
            double c = video ? 255.0 / 224.0 : 1.0;
            return new Coefficients(video ? 16f : 0f, (float)(video ? 255.0 / 219.0 : 1.0),
                (float)(2 * (1 - kr) * c), (float)(2 * kb * (1 - kb) / kg * c), (float)(2 * kr * (1 - kr) / kg * c), (float)(2 * (1 - kb) * c));
        }
    }
}
