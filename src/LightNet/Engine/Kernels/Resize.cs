using System.Runtime.CompilerServices;
namespace LightNet.Engine.Kernels;

/// <summary>ONNX Resize <c>mode</c> (cubic is not supported).</summary>
internal enum ResizeMode
{
    /// <summary>Nearest neighbour.</summary>
    Nearest,

    /// <summary>Bilinear over H and W.</summary>
    Linear,
}

/// <summary>ONNX Resize <c>coordinate_transformation_mode</c>: how an output coordinate maps to an input coordinate.</summary>
internal enum ResizeCoordinates
{
    /// <summary>(x + 0.5) / scale - 0.5 (the default since opset 11).</summary>
    HalfPixel,

    /// <summary>Like half_pixel, but 0 when the output length is 1.</summary>
    PytorchHalfPixel,

    /// <summary>x · (in - 1) / (out - 1), 0 when the output length is 1.</summary>
    AlignCorners,

    /// <summary>x / scale (opset 10 and Upsample semantics).</summary>
    Asymmetric,

    /// <summary>(x + 0.5) / scale.</summary>
    TfHalfPixelForNearest,

    /// <summary>half_pixel re-centred when the output length is rounded (opset 18).</summary>
    HalfPixelSymmetric,
}

/// <summary>ONNX Resize <c>nearest_mode</c>: how a fractional input coordinate becomes an index.</summary>
internal enum ResizeNearest
{
    /// <summary>Round, halves down (the default).</summary>
    RoundPreferFloor,

    /// <summary>Round, halves up.</summary>
    RoundPreferCeil,

    /// <summary>floor.</summary>
    Floor,

    /// <summary>ceil.</summary>
    Ceil,
}

/// <summary>
/// ONNX Resize (opset 10–19 semantics, no antialias, no tf_crop_and_resize) of the two last axes of
/// [Planes, InHeight, InWidth] (Planes = N·C; N and C are never resized) to [Planes, OutHeight, OutWidth].
/// ScaleHeight/ScaleWidth are the ONNX scales (out/in when the model gives sizes) used by the coordinate transform.
/// Nearest: index = nearest_mode(transform(o)) clamped to [0, in-1]. Linear: transform(o) clamped to [0, in-1], then
/// the two neighbours weighted by distance (ONNX Runtime's rule). Source indices and weights are precomputed.
/// x and y must not overlap. Split statically over planes. Run is not reentrant.
/// </summary>
internal sealed unsafe class ResizeKernel : IParallelWork
{
    private readonly int[] _rowLo, _rowHi, _colLo, _colHi;
    private readonly float[] _rowW, _colW;      // weight of the Hi neighbour
    private float* _x;
    private float* _y;

    private ResizeKernel(int planes, int inH, int inW, int outH, int outW, ResizeMode mode,
        (int[] Lo, int[] Hi, float[] W) rows, (int[] Lo, int[] Hi, float[] W) cols)
    {
        Planes = planes;
        InHeight = inH;
        InWidth = inW;
        OutHeight = outH;
        OutWidth = outW;
        Mode = mode;
        (_rowLo, _rowHi, _rowW) = rows;
        (_colLo, _colHi, _colW) = cols;
    }

    /// <summary>Planes (N·C).</summary>
    public int Planes { get; }

    /// <summary>Input height.</summary>
    public int InHeight { get; }

    /// <summary>Input width.</summary>
    public int InWidth { get; }

    /// <summary>Output height.</summary>
    public int OutHeight { get; }

    /// <summary>Output width.</summary>
    public int OutWidth { get; }

    /// <summary>Nearest or linear.</summary>
    public ResizeMode Mode { get; }

    /// <summary>Prepares the resize.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> for a non-positive size or scale.</exception>
    public static ResizeKernel Create(int planes, int inHeight, int inWidth, int outHeight, int outWidth, float scaleHeight, float scaleWidth,
        ResizeMode mode, ResizeCoordinates coordinates, ResizeNearest nearest = ResizeNearest.RoundPreferFloor)
    {
        if (planes < 0 || inHeight < 1 || inWidth < 1 || outHeight < 1 || outWidth < 1 || !(scaleHeight > 0) || !(scaleWidth > 0))
        {
            throw new LightNetException(ErrorCode.InvalidShape,
                $"Resize: {planes} planes {inHeight}x{inWidth} → {outHeight}x{outWidth} with scales {scaleHeight},{scaleWidth}.");
        }

        OpShapes.Product([planes, inHeight, inWidth]);
        OpShapes.Product([planes, outHeight, outWidth]);
        return new ResizeKernel(planes, inHeight, inWidth, outHeight, outWidth, mode,
            Axis(inHeight, outHeight, scaleHeight, mode, coordinates, nearest),
            Axis(inWidth, outWidth, scaleWidth, mode, coordinates, nearest));
    }

    /// <summary>The ONNX coordinate transform: input coordinate of output coordinate <paramref name="o"/>.</summary>
    public static float SourceCoordinate(int o, int inLength, int outLength, float scale, ResizeCoordinates mode) => mode switch
    {
        ResizeCoordinates.HalfPixel => ((o + 0.5f) / scale) - 0.5f,
        ResizeCoordinates.PytorchHalfPixel => outLength > 1 ? ((o + 0.5f) / scale) - 0.5f : 0f,
        ResizeCoordinates.AlignCorners => outLength == 1 ? 0f : o * (float)(inLength - 1) / (outLength - 1),
        ResizeCoordinates.Asymmetric => o / scale,
        ResizeCoordinates.TfHalfPixelForNearest => (o + 0.5f) / scale,
        _ => HalfPixelSymmetric(o, inLength, outLength, scale),
    };

    private static float HalfPixelSymmetric(int o, int inLength, int outLength, float scale)
    {
        float adjustment = outLength / (scale * inLength);
        float center = inLength / 2f;
        float offset = center * (1f - adjustment);
        return offset + ((o + 0.5f) / scale) - 0.5f;
    }

    /// <summary>The ONNX nearest_mode rounding.</summary>
    public static int Round(float x, ResizeNearest mode) => mode switch
    {
        ResizeNearest.RoundPreferFloor => x == MathF.Floor(x) + 0.5f ? (int)MathF.Floor(x) : (int)MathF.Round(x, MidpointRounding.AwayFromZero),
        ResizeNearest.RoundPreferCeil => x == MathF.Floor(x) + 0.5f ? (int)MathF.Ceiling(x) : (int)MathF.Round(x, MidpointRounding.AwayFromZero),
        ResizeNearest.Floor => (int)MathF.Floor(x),
        _ => (int)MathF.Ceiling(x),
    };

    private static (int[] Lo, int[] Hi, float[] W) Axis(int inLength, int outLength, float scale, ResizeMode mode, ResizeCoordinates coordinates, ResizeNearest nearest)
    {
        var lo = new int[outLength];
        var hi = new int[outLength];
        var w = new float[outLength];
        for (int o = 0; o < outLength; o++)
        {
            float x = SourceCoordinate(o, inLength, outLength, scale, coordinates);
            if (mode == ResizeMode.Nearest)
            {
                lo[o] = hi[o] = Math.Clamp(Round(x, nearest), 0, inLength - 1);
            }
            else
            {
                x = Math.Clamp(x, 0f, inLength - 1);
                int i0 = Math.Min((int)x, inLength - 1);
                int i1 = Math.Min(i0 + 1, inLength - 1);
                lo[o] = i0;
                hi[o] = i1;
                w[o] = i0 == i1 ? 0f : x - i0;
            }
        }

        return (lo, hi, w);
    }

    /// <summary>y = resize(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(float* x, float* y, WorkerPool? pool)
    {
        _x = x;
        _y = y;
        OpShapes.Run(pool, this, Planes, (long)Planes * OutHeight * OutWidth * 4);
        _x = _y = null;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int begin, int end, int threadIndex)
    {
        int outW = OutWidth;
        for (int p = begin; p < end; p++)
        {
            float* plane = _x + ((long)p * InHeight * InWidth);
            float* output = _y + ((long)p * OutHeight * outW);
            for (int oh = 0; oh < OutHeight; oh++)
            {
                float* o = output + ((long)oh * outW);
                float* r0 = plane + ((long)_rowLo[oh] * InWidth);
                if (Mode == ResizeMode.Nearest)
                {
                    for (int ow = 0; ow < outW; ow++)
                    {
                        o[ow] = r0[_colLo[ow]];
                    }
                }
                else
                {
                    float* r1 = plane + ((long)_rowHi[oh] * InWidth);
                    float wy = _rowW[oh];
                    for (int ow = 0; ow < outW; ow++)
                    {
                        int c0 = _colLo[ow], c1 = _colHi[ow];
                        float wx = _colW[ow];
                        float top = r0[c0] + (wx * (r0[c1] - r0[c0]));
                        float bottom = r1[c0] + (wx * (r1[c1] - r1[c0]));
                        o[ow] = top + (wy * (bottom - top));
                    }
                }
            }
        }
    }
}
