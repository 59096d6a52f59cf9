using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// The quantization parameters of one activation tensor as the integer kernels hold it: uint8 codes with a zero point.
/// An int8 tensor is held as uint8 with 128 added to the codes and to its zero point (offset binary), so every kernel
/// sees one type and the real values <c>(q − zero)·scale</c> are unchanged.
/// </summary>
internal readonly record struct QuantParams(float Scale, int ZeroPoint)
{
    /// <summary>The real value of code <paramref name="q"/>.</summary>
    public float Dequantize(int q) => (q - ZeroPoint) * Scale;

    /// <summary>ONNX QuantizeLinear (as ONNX Runtime computes it): clamp(round_half_even(v / scale) + zero, 0, 255).</summary>
    public byte Quantize(float v)
    {
        float r = MathF.Round(v / Scale, MidpointRounding.ToEven);
        return (byte)Math.Clamp(float.IsNaN(r) ? 0 : r + ZeroPoint, 0, 255);
    }

    /// <summary>
    /// A 256-entry table mapping codes of this tensor to codes of <paramref name="output"/> through <paramref name="f"/>
    /// (the identity for a plain requantization): exactly the DequantizeLinear → f → QuantizeLinear of the float graph.
    /// </summary>
    public byte[] Table(QuantParams output, Func<float, float>? f = null)
    {
        var table = new byte[256];
        for (int q = 0; q < 256; q++)
        {
            float v = Dequantize(q);
            table[q] = output.Quantize(f is null ? v : f(v));
        }

        return table;
    }
}

/// <summary>Element-wise and data-movement kernels on uint8 codes (see <see cref="QuantParams"/>).</summary>
internal static unsafe class QuantizedElementwise
{
    /// <summary>Float → uint8 codes (QuantizeLinear of a graph input or of a float operator's output).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, byte* y, long count, QuantParams p)
    {
        long i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> s = Vector128.Create(p.Scale);
            Vector128<int> z = Vector128.Create(p.ZeroPoint), lo = Vector128<int>.Zero, hi = Vector128.Create(255);
            for (; i + 8 <= count; i += 8)
            {
                Vector128<int> a = Vector128.Min(Vector128.Max(Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + i) / s)) + z, lo), hi);
                Vector128<int> b = Vector128.Min(Vector128.Max(Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + i + 4) / s)) + z, lo), hi);
                Vector128<ushort> w = Vector128.Narrow(a, b).AsUInt16();
                *(ulong*)(y + i) = Vector128.Narrow(w, w).AsUInt64().ToScalar();
            }
        }

        for (; i < count; i++)
        {
            y[i] = p.Quantize(x[i]);
        }
    }

    /// <summary>uint8 codes → float (DequantizeLinear before a float operator or a graph output).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dequantize(byte* x, float* y, long count, QuantParams p)
    {
        long i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> s = Vector128.Create(p.Scale);
            Vector128<int> z = Vector128.Create(p.ZeroPoint);
            for (; i + 4 <= count; i += 4)
            {
                Vector128<int> v = Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(uint*)(x + i)).AsByte())).AsInt32();
                (Vector128.ConvertToSingle(v - z) * s).Store(y + i);
            }
        }

        for (; i < count; i++)
        {
            y[i] = p.Dequantize(x[i]);
        }
    }

    /// <summary>
    /// y[i] = table[x[i]]: a requantization or a unary activation on codes. With AVX-512 VBMI, 64 codes at a time: two
    /// 128-entry <c>vpermi2b</c> lookups, the code's top bit choosing between them; otherwise scalar.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Lookup(byte* x, byte* y, long count, byte[] table)
    {
        fixed (byte* t = table)
        {
            long i = 0;
            if (Avx512Vbmi.IsSupported)
            {
                Vector512<byte> t0 = Vector512.Load(t), t1 = Vector512.Load(t + 64), t2 = Vector512.Load(t + 128), t3 = Vector512.Load(t + 192);
                Vector512<byte> top = Vector512.Create((byte)0x80);
                for (; i + 64 <= count; i += 64)
                {
                    Vector512<byte> v = Vector512.Load(x + i);
                    Vector512<byte> low = Avx512Vbmi.PermuteVar64x8x2(t0, v, t1), high = Avx512Vbmi.PermuteVar64x8x2(t2, v, t3);
                    Vector512.ConditionalSelect(Vector512.Equals(v & top, top), high, low).Store(y + i);
                }
            }

            for (; i < count; i++)
            {
                y[i] = t[x[i]];
            }
        }
    }

    /// <summary>
    /// QLinearAdd as ONNX Runtime computes it: y = clamp(round_half_even((a − za)·sa/sy + (b − zb)·sb/sy) + zy) over
    /// same-shape tensors, then the fused activation's bounds. <paramref name="path"/> picks the vector width (512, 256
    /// or 128 bits, or scalar); every width computes the same float expression, so the codes do not depend on it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(byte* a, QuantParams pa, byte* b, QuantParams pb, byte* y, QuantParams py, long count, int min, int max, Int8Path path)
    {
        float ra = pa.Scale / py.Scale, rb = pb.Scale / py.Scale;
        float offset = -(pa.ZeroPoint * ra) - (pb.ZeroPoint * rb);
        long i = 0;

        // The same float expression at every width (no fused multiply-add), so every path gives the same codes.
        if (path == Int8Path.Avx512)
        {
            Vector512<float> va = Vector512.Create(ra), vb = Vector512.Create(rb), vo = Vector512.Create(offset);
            Vector512<int> z = Vector512.Create(py.ZeroPoint), lo = Vector512.Create(min), hi = Vector512.Create(max);
            for (; i + 16 <= count; i += 16)
            {
                Vector512<float> fa = Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(a + i)));
                Vector512<float> fb = Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(b + i)));
                Vector512<int> q = Vector512.ConvertToInt32(Vector512.Round((fa * va) + (fb * vb) + vo)) + z;
                Avx512F.ConvertToVector128Byte(Vector512.Min(Vector512.Max(q, lo), hi)).Store(y + i);
            }
        }
        else if (path is Int8Path.Avx2 or Int8Path.AvxVnni)
        {
            Vector256<float> va = Vector256.Create(ra), vb = Vector256.Create(rb), vo = Vector256.Create(offset);
            Vector256<int> z = Vector256.Create(py.ZeroPoint), lo = Vector256.Create(min), hi = Vector256.Create(max);
            for (; i + 8 <= count; i += 8)
            {
                Vector256<float> fa = Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(a + i));
                Vector256<float> fb = Vector256.ConvertToSingle(Avx2.ConvertToVector256Int32(b + i));
                Requantizer.StoreCodes(Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round((fa * va) + (fb * vb) + vo)) + z, lo), hi), y + i);
            }
        }

        if (path != Int8Path.Scalar && Vector128.IsHardwareAccelerated)
        {
            Vector128<float> va = Vector128.Create(ra), vb = Vector128.Create(rb), vo = Vector128.Create(offset);
            Vector128<int> z = Vector128.Create(py.ZeroPoint), lo = Vector128.Create(min), hi = Vector128.Create(max);
            for (; i + 4 <= count; i += 4)
            {
                Vector128<float> fa = Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(uint*)(a + i)).AsByte())).AsInt32());
                Vector128<float> fb = Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(uint*)(b + i)).AsByte())).AsInt32());
                Vector128<int> q = Vector128.ConvertToInt32(Vector128.Round((fa * va) + (fb * vb) + vo)) + z;
                q = Vector128.Min(Vector128.Max(q, lo), hi);
                Vector128<ushort> w = Vector128.Narrow(q, q).AsUInt16();
                *(uint*)(y + i) = Vector128.Narrow(w, w).AsUInt32().ToScalar();
            }
        }

        for (; i < count; i++)
        {
            float v = (a[i] * ra) + (b[i] * rb) + offset;
            y[i] = (byte)Math.Clamp((int)MathF.Round(v, MidpointRounding.ToEven) + py.ZeroPoint, min, max);
        }
    }

    /// <summary>Bytes of the row buffer <see cref="MaxPool"/> needs.</summary>
    public static long MaxPoolRowBytes(in Pool2dShape s) =>
        WholePlanes(s) ? (Direct(s) ? 1 : 2) * PlaneBytes(s) : 2 * RowHalf(s);

    // The full-resolution rows MaxPoolWholePlanes reduces ((OutHeight − 1)·StrideHeight + 1 of InWidth codes), and slack.
    private static long PlaneBytes(in Pool2dShape s) => MemoryPlan.Align(((((long)s.OutHeight - 1) * s.StrideHeight) + 1) * s.InWidth + s.KernelWidth);

    // Undilated pools whose windows start inside their rows and columns' padding run a plane at a time over flat runs,
    // not row by row: GoogLeNet's 14×14 planes took 200 ns a row, 40× ONNX Runtime's time.
    private static bool WholePlanes(in Pool2dShape s) =>
        s.DilationHeight == 1 && s.DilationWidth == 1 && s.PadLeft < s.KernelWidth && s.PadTop < s.KernelHeight;

    // Stride 1 with output rows as wide as the input's: the horizontal pass writes the output itself.
    private static bool Direct(in Pool2dShape s) => s.StrideHeight == 1 && s.StrideWidth == 1 && s.OutWidth == s.InWidth;

    private static long RowHalf(in Pool2dShape s) =>
        MemoryPlan.Align(((long)(s.OutWidth - 1) * s.StrideWidth) + ((long)(s.KernelWidth - 1) * s.DilationWidth) + s.InWidth + s.PadLeft + 64);

    /// <summary>
    /// Max pooling on codes (order-preserving, so exact; code 0 is the smallest, and every window holds a real element,
    /// so zero padding never wins). Undilated pools run a plane at a time over flat runs (MaxPoolWholePlanes); dilated
    /// ones row by row: the kernel rows are reduced by vector max into a row buffer padded with zeros, the kernel
    /// columns then into a second buffer, h[i] = max over kx of row[i + kx·dw], and output ox takes h[ox·sw].
    /// <paramref name="rowBuffer"/> holds <see cref="MaxPoolRowBytes"/> bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPool(byte* x, byte* y, in Pool2dShape s, byte* rowBuffer)
    {
        if (WholePlanes(s))
        {
            MaxPoolWholePlanes(x, y, s, rowBuffer);
            return;
        }

        int span = ((s.OutWidth - 1) * s.StrideWidth) + 1;
        int length = span + ((s.KernelWidth - 1) * s.DilationWidth);
        int copy = Math.Min(s.InWidth, length - s.PadLeft);
        for (int plane = 0; plane < s.Planes; plane++)
        {
            byte* xp = x + ((long)plane * s.InHeight * s.InWidth);
            byte* yp = y + ((long)plane * s.OutHeight * s.OutWidth);
            for (int oy = 0; oy < s.OutHeight; oy++)
            {
                new Span<byte>(rowBuffer, length + 16).Clear();
                byte* row = rowBuffer + s.PadLeft;
                for (int ky = 0; ky < s.KernelHeight; ky++)
                {
                    int iy = (oy * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight);
                    if ((uint)iy < (uint)s.InHeight)
                    {
                        Max(row, xp + ((long)iy * s.InWidth), copy);
                    }
                }

                byte* h = rowBuffer + RowHalf(s);
                Buffer.MemoryCopy(rowBuffer, h, span, span);
                for (int kx = 1; kx < s.KernelWidth; kx++)
                {
                    Max(h, rowBuffer + (kx * s.DilationWidth), span);
                }

                StridedBytes.Copy(h, s.StrideWidth, yp + ((long)oy * s.OutWidth), s.OutWidth);
            }
        }
    }

    // MaxPool where WholePlanes holds, a plane at a time, at full resolution over flat runs. Vertical: v[r] = max over ky
    // of input row r − PadTop + ky where it lies inside (v zero elsewhere: code 0 never wins), each tap one run over all
    // the rows r it reaches. Horizontal: h = max over kx of v shifted by kx − PadLeft along the flat plane. Output pixel
    // (oy, ox) is h at row oy·sh, column ox·sw. A shift carries the neighbouring row's codes into windows that reach
    // past their row's ends: those columns are recomputed from their in-row taps.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPoolWholePlanes(byte* x, byte* y, in Pool2dShape s, byte* scratch)
    {
        int w = s.InWidth, oh = s.OutHeight, ow = s.OutWidth, sh = s.StrideHeight, sw = s.StrideWidth;
        int rows = ((oh - 1) * sh) + 1, n = rows * w, left = s.PadLeft, right = s.KernelWidth - 1 - left;
        bool direct = Direct(s);
        byte* v = scratch;
        byte* h = direct ? null : scratch + PlaneBytes(s);
        for (int plane = 0; plane < s.Planes; plane++)
        {
            byte* xp = x + ((long)plane * s.InHeight * w);
            byte* yp = y + ((long)plane * oh * ow);
            StridedBytes.Fill(v, n, 0);
            for (int ky = 0; ky < s.KernelHeight; ky++)
            {
                int first = Math.Max(0, s.PadTop - ky), last = Math.Min(rows, s.InHeight + s.PadTop - ky);
                if (first < last)
                {
                    Max(v + ((long)first * w), xp + ((long)(first - s.PadTop + ky) * w), (last - first) * w);
                }
            }

            byte* hp = direct ? yp : h;
            Buffer.MemoryCopy(v, hp, n, n);
            for (int d = -left; d <= right; d++)
            {
                if (d < 0)
                {
                    Max(hp - d, v, n + d);
                }
                else if (d > 0)
                {
                    Max(hp, v + d, n - d);
                }
            }

            for (int oy = 0; oy < oh; oy++)
            {
                byte* vr = v + ((long)oy * sh * w), yr = yp + ((long)oy * ow);
                if (!direct)
                {
                    StridedBytes.Copy(h + ((long)oy * sh * w), sw, yr, ow);
                }

                for (int ox = 0; ox < ow && ox * sw < left; ox++)
                {
                    yr[ox] = RowMax(vr, 0, Math.Min(w - 1, (ox * sw) + right));
                }

                for (int ox = ow - 1; ox >= 0 && (ox * sw) + right >= w; ox--)
                {
                    yr[ox] = RowMax(vr, Math.Max(0, (ox * sw) - left), w - 1);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static byte RowMax(byte* row, int from, int to)
        {
            byte m = 0;
            for (int i = from; i <= to; i++)
            {
                m = Math.Max(m, row[i]);
            }

            return m;
        }
    }

    /// <summary>
    /// <see cref="MaxPool"/> of pixel-major codes (<see cref="QuantizedLayout"/>): <paramref name="s"/>'s planes are
    /// images × <paramref name="channels"/>; each output pixel's channels are the vector maximum over the window's taps
    /// inside the image, from 0 (the smallest code, as the planar kernel's zero padding), 32 or 16 channels at a time.
    /// </summary>
    public static void MaxPoolPixelMajor(byte* x, byte* y, in Pool2dShape s, int channels) =>
        MaxPoolPixelMajor(x, y, s, channels, 0, s.Planes / channels * s.OutHeight);

    /// <summary><see cref="MaxPoolPixelMajor(byte*, byte*, in Pool2dShape, int)"/> of output rows [<paramref name="begin"/>, <paramref name="end"/>) (image-major, OutHeight each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPoolPixelMajor(byte* x, byte* y, in Pool2dShape s, int channels, int begin, int end)
    {
        for (int r = begin; r < end; r++)
        {
            int n = r / s.OutHeight, oy = r % s.OutHeight;
            byte* image = x + ((long)n * s.InHeight * s.InWidth * channels);
            for (int ox = 0; ox < s.OutWidth; ox++)
            {
                byte* dst = y + ((((long)n * s.OutHeight * s.OutWidth) + ((long)oy * s.OutWidth) + ox) * channels);
                int c = 0;
                for (; c + 32 <= channels && Vector256.IsHardwareAccelerated; c += 32)
                {
                    Vector256<byte> m = Vector256<byte>.Zero;
                    for (int ky = 0; ky < s.KernelHeight; ky++)
                    {
                        int iy = (oy * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight);
                        for (int kx = 0; (uint)iy < (uint)s.InHeight && kx < s.KernelWidth; kx++)
                        {
                            int ix = (ox * s.StrideWidth) - s.PadLeft + (kx * s.DilationWidth);
                            if ((uint)ix < (uint)s.InWidth)
                            {
                                m = Vector256.Max(m, Vector256.Load(image + ((((long)iy * s.InWidth) + ix) * channels) + c));
                            }
                        }
                    }

                    m.Store(dst + c);
                }

                for (; c < channels; c += 16)
                {
                    // 16 channels; a last part of fewer as the pixel's last 16 channels (the overlap is recomputed,
                    // to the same codes); fewer than 16 channels in all one code at a time.
                    if (channels - c < 16 && channels >= 16)
                    {
                        c = channels - 16;
                    }

                    int count = Math.Min(16, channels - c);
                    Vector128<byte> m = Vector128<byte>.Zero;
                    for (int ky = 0; ky < s.KernelHeight; ky++)
                    {
                        int iy = (oy * s.StrideHeight) - s.PadTop + (ky * s.DilationHeight);
                        for (int kx = 0; (uint)iy < (uint)s.InHeight && kx < s.KernelWidth; kx++)
                        {
                            int ix = (ox * s.StrideWidth) - s.PadLeft + (kx * s.DilationWidth);
                            if ((uint)ix < (uint)s.InWidth)
                            {
                                byte* src = image + ((((long)iy * s.InWidth) + ix) * channels) + c;
                                m = Vector128.Max(m, count == 16 ? Vector128.Load(src) : Partial(src, count));
                            }
                        }
                    }

                    if (count == 16)
                    {
                        m.Store(dst + c);
                    }
                    else
                    {
                        for (int i = 0; i < count; i++)
                        {
                            dst[c + i] = m.GetElement(i);
                        }
                    }
                }
            }
        }

        static Vector128<byte> Partial(byte* src, int count)
        {
            Vector128<byte> v = Vector128<byte>.Zero;
            for (int i = 0; i < count; i++)
            {
                v = v.WithElement(i, src[i]);
            }

            return v;
        }
    }

    // a[i] = max(a[i], b[i]) for separate buffers a and b. A tail of 16 or more bytes is one last vector overlapping
    // the bytes already done (max is idempotent), not a byte loop.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Max(byte* a, byte* b, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= n; i += 32)
            {
                Vector256.Max(Vector256.Load(a + i), Vector256.Load(b + i)).Store(a + i);
            }
        }

        for (; i + 16 <= n; i += 16)
        {
            Vector128.Max(Vector128.Load(a + i), Vector128.Load(b + i)).Store(a + i);
        }

        if (i < n && n >= 16)
        {
            Vector128.Max(Vector128.Load(a + n - 16), Vector128.Load(b + n - 16)).Store(a + n - 16);
            return;
        }

        for (; i < n; i++)
        {
            a[i] = Math.Max(a[i], b[i]);
        }
    }

    /// <summary>
    /// <see cref="GlobalAveragePool"/> of pixel-major codes (<see cref="QuantizedLayout"/>): <paramref name="images"/> ×
    /// <paramref name="size"/> pixels of <paramref name="channels"/> codes each, summed per channel a pixel at a time
    /// (16 channels per vector), into NCHW [images, channels] codes with the same rounding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAveragePoolPixelMajor(byte* x, byte* y, int images, int size, int channels, QuantParams px, QuantParams py)
    {
        float ratio = px.Scale / py.Scale / size;
        var sums = new uint[channels];
        fixed (uint* acc = sums)
        {
            for (int n = 0; n < images; n++)
            {
                Array.Clear(sums);
                byte* image = x + ((long)n * size * channels);
                for (int p = 0; p < size; p++)
                {
                    byte* pixel = image + ((long)p * channels);
                    int c = 0;
                    if (Vector128.IsHardwareAccelerated)
                    {
                        for (; c + 16 <= channels; c += 16)
                        {
                            (Vector128<ushort> lo, Vector128<ushort> hi) = Vector128.Widen(Vector128.Load(pixel + c));
                            (Vector128<uint> a, Vector128<uint> b) = Vector128.Widen(lo);
                            (Vector128<uint> e, Vector128<uint> f) = Vector128.Widen(hi);
                            (Vector128.Load(acc + c) + a).Store(acc + c);
                            (Vector128.Load(acc + c + 4) + b).Store(acc + c + 4);
                            (Vector128.Load(acc + c + 8) + e).Store(acc + c + 8);
                            (Vector128.Load(acc + c + 12) + f).Store(acc + c + 12);
                        }
                    }

                    for (; c < channels; c++)
                    {
                        acc[c] += pixel[c];
                    }
                }

                for (int c = 0; c < channels; c++)
                {
                    float v = (acc[c] - ((long)px.ZeroPoint * size)) * ratio;
                    y[((long)n * channels) + c] = (byte)Math.Clamp((int)MathF.Round(v, MidpointRounding.ToEven) + py.ZeroPoint, 0, 255);
                }
            }
        }
    }

    /// <summary>
    /// Global average pooling on codes: the integer sum of each plane, its mean requantized (the float graph's
    /// DequantizeLinear → GlobalAveragePool → QuantizeLinear up to float rounding).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAveragePool(byte* x, byte* y, int planes, int size, QuantParams px, QuantParams py)
    {
        float ratio = px.Scale / py.Scale / size;
        for (int c = 0; c < planes; c++)
        {
            byte* p = x + ((long)c * size);
            long sum = 0;
            int i = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                Vector128<uint> acc = Vector128<uint>.Zero;
                for (; i + 16 <= size; i += 16)
                {
                    (Vector128<ushort> lo, Vector128<ushort> hi) = Vector128.Widen(Vector128.Load(p + i));
                    (Vector128<uint> a, Vector128<uint> b) = Vector128.Widen(lo + hi);
                    acc += a + b;
                }

                sum = Vector128.Sum(acc);
            }

            for (; i < size; i++)
            {
                sum += p[i];
            }

            float v = (sum - ((long)px.ZeroPoint * size)) * ratio;
            y[c] = (byte)Math.Clamp((int)MathF.Round(v, MidpointRounding.ToEven) + py.ZeroPoint, 0, 255);
        }
    }

    /// <summary>
    /// Concat of code tensors: each input's block of <paramref name="inner"/>[i] bytes per outer index is copied, or
    /// mapped through its table when its parameters differ from the output's. Writes output bytes [<paramref name="begin"/>,
    /// <paramref name="end"/>) of the outer count × Σ inner (so the threads can share one concat in ranges).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Concat(nint[] inputs, long[] inner, byte[]?[] tables, byte* y, long begin, long end)
    {
        long row = 0;
        foreach (long n in inner)
        {
            row += n;
        }

        if (row == 0 || begin >= end)
        {
            return;
        }

        // Where begin falls: outer index o, input i, offset within its block.
        long o = begin / row, offset = begin - (o * row);
        int i = 0;
        while (offset >= inner[i])
        {
            offset -= inner[i];
            i++;
        }

        for (long pos = begin; pos < end;)
        {
            long count = Math.Min(inner[i] - offset, end - pos);
            byte* src = (byte*)inputs[i] + (o * inner[i]) + offset;
            if (tables[i] is { } t)
            {
                Lookup(src, y + pos, count, t);
            }
            else
            {
                Buffer.MemoryCopy(src, y + pos, count, count);
            }

            pos += count;
            offset = 0;
            if (++i == inputs.Length)
            {
                i = 0;
                o++;
            }
        }
    }
}
