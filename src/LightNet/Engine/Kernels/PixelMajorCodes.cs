using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// The layout moves of the integer kernels that work on pixel-major codes (<see cref="Int8DirectConv"/>,
/// <see cref="Int8DepthwiseDirect"/>): a padded pixel-major copy of an input row (<see cref="PaddedRows"/>), from NCHW
/// or pixel-major codes, and a pixel-major result transposed back into NCHW planes (<see cref="ToPlanar"/>).
/// </summary>
internal static unsafe class PixelMajorCodes
{
    /// <summary>
    /// Rows of a padded pixel-major copy of one image: every padded row holds <c>paddedWidth</c> pixels of
    /// <c>pixelBytes</c> bytes, the image's channels first (zero-extended to 16 bits when <c>wide</c>), the rest and the
    /// border the input zero point, so a tap outside the image adds nothing after the zero-point correction.
    /// </summary>
    public readonly struct PaddedRows(in Conv2dShape s, int paddedWidth, int pixelBytes, bool wide, byte inputZero, bool inputPixelMajor)
    {
        private readonly Conv2dShape _s = s;
        private readonly int _paddedWidth = paddedWidth, _inPixel = pixelBytes;
        private readonly bool _wide = wide, _inputPixelMajor = inputPixelMajor;
        private readonly byte _inputZero = inputZero;

        // Padded row r: the zero point, then the image row's pixels transposed in 16×16 (or 8)
        // blocks of channels × pixels (through a small buffer and widened to 16 bits on the vpmaddwd form), the rest one
        // value at a time.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        [SkipLocalsInit]
        public void Row(int r, byte* x, byte* padded)
        {
            Conv2dShape s = _s;
            byte* row = padded + ((long)r * _paddedWidth * _inPixel);
            int iy = r - s.PadTop;

            // Input columns [c0, c1) land in the padded row (columns beyond it are never read).
            int c0 = Math.Max(0, -s.PadLeft), c1 = Math.Min(s.InWidth, _paddedWidth - s.PadLeft);

            // The zero point first, unless the image's pixels fill the whole row (an unpadded 1×1 layer's rows).
            bool filled = (uint)iy < (uint)s.InHeight && s.PadLeft == 0 && c1 == _paddedWidth && s.InChannels * (_wide ? 2 : 1) == _inPixel;
            if (!filled && _wide)
            {
                StridedBytes.Fill((ushort*)row, _paddedWidth * _inPixel / 2, _inputZero);
            }
            else if (!filled)
            {
                StridedBytes.Fill(row, _paddedWidth * _inPixel, _inputZero);
            }

            if ((uint)iy >= (uint)s.InHeight)
            {
                return;
            }

            if (_inputPixelMajor)
            {
                CopyPixels(x + (((long)iy * s.InWidth) + c0) * s.InChannels, row + ((long)(c0 + s.PadLeft) * _inPixel), c1 - c0);
                return;
            }

            long plane = (long)s.InHeight * s.InWidth;
            byte* src = x + ((long)iy * s.InWidth);
            if (_inPixel == (_wide ? 8 : 4) && Sse2.IsSupported && (!_wide || Avx2.IsSupported))
            {
                // Up to 4 channels (a stem's image): 16 pixels of each plane (the zero point for missing ones)
                // interleaved into 16 four-byte pixels (zero-extended to 16 bits on the vpmaddwd form).
                Vector128<byte> zero = Vector128.Create(_inputZero);
                int ix = c0;
                for (; ix + 16 <= c1; ix += 16)
                {
                    byte* from = src + ix;
                    Vector128<byte> a = Vector128.Load(from);
                    Vector128<byte> b = s.InChannels > 1 ? Vector128.Load(from + plane) : zero;
                    Vector128<byte> c = s.InChannels > 2 ? Vector128.Load(from + (2 * plane)) : zero;
                    Vector128<byte> d = s.InChannels > 3 ? Vector128.Load(from + (3 * plane)) : zero;
                    Vector128<ushort> abLo = Sse2.UnpackLow(a, b).AsUInt16(), abHi = Sse2.UnpackHigh(a, b).AsUInt16();
                    Vector128<ushort> cdLo = Sse2.UnpackLow(c, d).AsUInt16(), cdHi = Sse2.UnpackHigh(c, d).AsUInt16();
                    byte* to = row + ((long)(ix + s.PadLeft) * _inPixel);
                    Vector128<byte> p0 = Sse2.UnpackLow(abLo, cdLo).AsByte(), p1 = Sse2.UnpackHigh(abLo, cdLo).AsByte();
                    Vector128<byte> p2 = Sse2.UnpackLow(abHi, cdHi).AsByte(), p3 = Sse2.UnpackHigh(abHi, cdHi).AsByte();
                    if (_wide)
                    {
                        Avx2.ConvertToVector256Int16(p0).Store((short*)to);
                        Avx2.ConvertToVector256Int16(p1).Store((short*)(to + 32));
                        Avx2.ConvertToVector256Int16(p2).Store((short*)(to + 64));
                        Avx2.ConvertToVector256Int16(p3).Store((short*)(to + 96));
                    }
                    else
                    {
                        p0.Store(to);
                        p1.Store(to + 16);
                        p2.Store(to + 32);
                        p3.Store(to + 48);
                    }
                }

                for (; ix < c1; ix++)
                {
                    for (int ci = 0; ci < s.InChannels; ci++)
                    {
                        Put(row, ((long)(ix + s.PadLeft) * _inPixel) + (ci * (_wide ? 2 : 1)), src[(ci * plane) + ix]);
                    }
                }

                return;
            }

            byte* block = stackalloc byte[16 * 16];
            int elem = _wide ? 2 : 1;
            int ch = 0;
            while (s.InChannels - ch >= 8)
            {
                int rows = s.InChannels - ch >= 16 ? 16 : 8;
                int ix = c0;
                while (ix < c1 && c1 - c0 >= 8)
                {
                    // A last run of under 8 pixels is the row's last 8, transposed again where they overlap (the same
                    // codes to the same places): SqueezeNet's 55-pixel rows left 7 of them to the byte loop below.
                    ix = Math.Min(ix, c1 - 8);
                    int cols = c1 - ix >= 16 ? 16 : 8;
                    byte* dst = row + ((long)(ix + s.PadLeft) * _inPixel) + (ch * elem);
                    if (!_wide)
                    {
                        StridedBytes.Transpose(src + (ch * plane) + ix, plane, rows, cols, dst, _inPixel);
                    }
                    else
                    {
                        StridedBytes.Transpose(src + (ch * plane) + ix, plane, rows, cols, block, 16);
                        for (int p = 0; p < cols; p++, dst += _inPixel)
                        {
                            if (rows == 16)
                            {
                                Avx2.ConvertToVector256Int16(Vector128.Load(block + (p * 16))).Store((short*)dst);
                            }
                            else
                            {
                                Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(ulong*)(block + (p * 16))).AsByte()).Store((ushort*)dst);
                            }
                        }
                    }

                    ix += cols;
                }

                for (; ix < c1; ix++)
                {
                    for (int c = ch; c < ch + rows; c++)
                    {
                        Put(row, ((long)(ix + s.PadLeft) * _inPixel) + (c * elem), src[(c * plane) + ix]);
                    }
                }

                ch += rows;
            }

            for (int ix = c0; ix < c1; ix++)
            {
                for (int c = ch; c < s.InChannels; c++)
                {
                    Put(row, ((long)(ix + s.PadLeft) * _inPixel) + (c * elem), src[(c * plane) + ix]);
                }
            }
        }

        // count pixels of a pixel-major input row (Cin codes each) into the padded row (_inPixel bytes each, widened on the
        // vpmaddwd form): one block when the pixels are the same size, else pixel by pixel.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void CopyPixels(byte* src, byte* dst, int count)
        {
            int c = _s.InChannels;
            int elem = _wide ? 2 : 1;
            bool wide = _wide;
            if (c * elem == _inPixel)
            {
                Copy(src, dst, (long)count * c, wide);
                return;
            }

            for (int p = 0; p < count; p++)
            {
                Copy(src + ((long)p * c), dst + ((long)p * _inPixel), c, wide);
            }

            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            static void Copy(byte* from, byte* to, long n, bool wide)
            {
                if (!wide)
                {
                    Buffer.MemoryCopy(from, to, n, n);
                    return;
                }

                long i = 0;
                for (; i + 16 <= n; i += 16)
                {
                    Avx2.ConvertToVector256Int16(Vector128.Load(from + i)).Store((short*)to + i);
                }

                for (; i < n; i++)
                {
                    ((ushort*)to)[i] = from[i];
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void Put(byte* row, long at, byte value)
        {
            if (_wide)
            {
                *(ushort*)(row + at) = value;
            }
            else
            {
                row[at] = value;
            }
        }
    }

    /// <summary>
    /// The two layout passes around a direct kernel's run, each one pool pass: the input into its padded pixel-major copy
    /// (<see cref="PaddedRows"/>, a row per item), and a pixel-major result of <paramref name="pixelBytes"/> bytes a
    /// pixel transposed into NCHW (<see cref="ToPlanar"/>, 16 pixels per item).
    /// </summary>
    public sealed class Passes(PaddedRows rows, int paddedHeight, long pixelBytes, int channels, int pixels)
    {
        private readonly CopyPass _copy = new(rows);
        private readonly PlanarPass _planar = new(pixelBytes, channels, pixels);

        /// <summary>Copies the image at <paramref name="x"/> into the padded buffer at <paramref name="padded"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void CopyIn(WorkerPool pool, byte* x, byte* padded)
        {
            _copy.X = x;
            _copy.Padded = padded;
            pool.Run(_copy, paddedHeight);
        }

        /// <summary>Transposes the pixel-major result at <paramref name="pixelMajor"/> into the NCHW output at <paramref name="y"/>.</summary>
        public void ToPlanar(WorkerPool pool, byte* pixelMajor, byte* y)
        {
            _planar.Source = pixelMajor;
            _planar.Destination = y;
            pool.Run(_planar, (pixels + 15) / 16);
        }

        private sealed class CopyPass(PaddedRows rows) : IParallelWork
        {
            public byte* X, Padded;

            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            public void Execute(int begin, int end, int threadIndex)
            {
                for (int r = begin; r < end; r++)
                {
                    rows.Row(r, X, Padded);
                }
            }
        }

        private sealed class PlanarPass(long pixelBytes, int channels, int pixels) : IParallelWork
        {
            public byte* Source, Destination;

            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            public void Execute(int begin, int end, int threadIndex)
            {
                for (int g = begin; g < end; g++)
                {
                    PixelMajorCodes.ToPlanar(Source, pixelBytes, Destination, channels, pixels, g);
                }
            }
        }
    }

    /// <summary>
    /// Runs of pixel tiles per group of channel blocks of the direct kernels' work items (group, run; the depthwise kernel
    /// passes one group: its runs take every channel block): one run on one thread; else enough for about 8 items per
    /// thread (a thread the OS delays leaves little behind), runs of at least <paramref name="minTiles"/> tiles.
    /// </summary>
    public static int TileRuns(int threads, int blocks, int tiles, int minTiles) =>
        threads > 1 ? Math.Clamp(((threads * 8) + blocks - 1) / blocks, 1, Math.Max(1, tiles / minTiles)) : 1;

    /// <summary>The rows and columns of the padded copy of <paramref name="s"/>'s input that its taps read.</summary>
    public static (int Height, int Width) PaddedSize(in Conv2dShape s) =>
        (((s.OutHeight - 1) * s.StrideHeight) + ((s.KernelHeight - 1) * s.DilationHeight) + 1,
         ((s.OutWidth - 1) * s.StrideWidth) + ((s.KernelWidth - 1) * s.DilationWidth) + 1);

    /// <summary>
    /// The byte offsets a kernel reads a pixel-major input at, rows of <paramref name="rowPixels"/> pixels of
    /// <paramref name="pixelBytes"/> bytes: each tap's from the window's corner, and each output pixel's window corner,
    /// numbered across rows in tiles of <paramref name="tile"/> (a short last tile repeats its last pixel: computed, not stored).
    /// </summary>
    public static (int[] Taps, int[] Pixels) Offsets(in Conv2dShape s, int rowPixels, int pixelBytes, int tile)
    {
        var taps = new int[s.KernelHeight * s.KernelWidth];
        for (int ky = 0; ky < s.KernelHeight; ky++)
        {
            for (int kx = 0; kx < s.KernelWidth; kx++)
            {
                taps[(ky * s.KernelWidth) + kx] = ((ky * s.DilationHeight * rowPixels) + (kx * s.DilationWidth)) * pixelBytes;
            }
        }

        int count = s.OutHeight * s.OutWidth;
        var pixels = new int[(count + tile - 1) / tile * tile];
        for (int i = 0; i < pixels.Length; i++)
        {
            int p = Math.Min(i, count - 1);
            int oy = p / s.OutWidth, ox = p - (oy * s.OutWidth);
            pixels[i] = ((oy * s.StrideHeight * rowPixels) + (ox * s.StrideWidth)) * pixelBytes;
        }

        return (taps, pixels);
    }

    /// <summary>
    /// Pixels [16·g, 16·g + 16) of a pixel-major image (<paramref name="pixelBytes"/> bytes a pixel, the first
    /// <paramref name="channels"/> of them codes) transposed into NCHW planes of <paramref name="pixels"/> codes: 16×16 (or 8)
    /// byte blocks, the rest one code at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToPlanar(byte* pixelMajor, long pixelBytes, byte* planar, int channels, int pixels, int g)
    {
        int p = g * 16, n = Math.Min(16, pixels - p);
        long _outPixel = pixelBytes;
        byte* src = pixelMajor + ((long)p * pixelBytes);
        byte* dst = planar + p;
        int rows = n == 16 ? 16 : n >= 8 ? 8 : 0;
        int c = 0;
        if (rows > 0)
        {
            for (; c + 16 <= channels; c += 16)
            {
                StridedBytes.Transpose(src + c, _outPixel, rows, 16, dst + ((long)c * pixels), pixels);
            }

            for (; c + 8 <= channels; c += 8)
            {
                StridedBytes.Transpose(src + c, _outPixel, rows, 8, dst + ((long)c * pixels), pixels);
            }
        }

        for (int j = rows > 0 ? c : 0; j < channels; j++)
        {
            for (int i = 0; i < rows; i++)
            {
                dst[((long)j * pixels) + i] = src[((long)i * _outPixel) + j];
            }
        }

        for (int i = rows; i < n; i++)
        {
            for (int j = 0; j < channels; j++)
            {
                dst[((long)j * pixels) + i] = src[((long)i * _outPixel) + j];
            }
        }
    }
}
