using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// The instruction path of the integer kernels, chosen from the session's <see cref="Isa"/> and the CPU: the
/// u8×s8/u8×s16 products always accumulate exactly in int32, whatever the path (no 16-bit saturation).
/// </summary>
internal enum Int8Path
{
    /// <summary>Plain scalar loops: the reference.</summary>
    Scalar,

    /// <summary>Cross-platform <see cref="Vector128{T}"/> arithmetic widened to int32 (SSE, NEON, WASM).</summary>
    Vector128,

    /// <summary>AVX2 <c>vpmaddwd</c> on activations zero-extended to 16 bits (pair sums cannot saturate).</summary>
    Avx2,

    /// <summary>AVX-VNNI <c>vpdpbusd</c> (u8×s8, 256-bit), where the CPU has the VEX form.</summary>
    AvxVnni,

    /// <summary>AVX-512BW <c>vpmaddwd</c> on activations zero-extended to 16 bits.</summary>
    Avx512,
}

/// <summary>Which integer path each <see cref="Isa"/> level takes on this machine.</summary>
internal static class Int8Paths
{
    /// <summary>
    /// AVX-512 with BW takes the 512-bit 16-bit path; AVX2 takes AVX-VNNI where the CPU has it, else the 16-bit
    /// <c>vpmaddwd</c> path. (.NET 10 exposes no EVEX <c>vpdpbusd</c>: AVX512_VNNI-only CPUs such as Zen 4 use <c>vpmaddwd</c>.)
    /// The GEMM of convolutions takes <see cref="ForGemm"/> instead.
    /// </summary>
    public static Int8Path For(Isa isa) => isa switch
    {
        Isa.Avx512 when Avx512BW.IsSupported => Int8Path.Avx512,
        Isa.Avx512 or Isa.Avx2 when AvxVnni.IsSupported => Int8Path.AvxVnni,
        Isa.Avx512 or Isa.Avx2 when Avx2.IsSupported => Int8Path.Avx2,
        Isa.Scalar => Int8Path.Scalar,
        _ => Vector128.IsHardwareAccelerated ? Int8Path.Vector128 : Int8Path.Scalar,
    };

    /// <summary>
    /// The path of a convolution GEMM of depth <paramref name="depth"/> (Cin/groups · kh · kw): on the AVX2 level AVX-VNNI
    /// wherever the CPU has it (one 256-bit <c>vpdpbusd</c> does the work of a <c>vpmaddwd</c> and a <c>vpaddd</c>
    /// on widened activations: 1.3–2.0× faster on every kernel-check case, Zen 5); on the AVX-512 level AVX-VNNI only
    /// from <see cref="VnniMinDepth"/> on, else the 512-bit <c>vpmaddwd</c> path, whose 16-row tiles requantize straight from
    /// registers — measured on Zen 5 (AVX-512 and AVX-VNNI, 1 thread): VNNI/AVX-512 time 0.81 at K = 4608 (ResNet-18
    /// layer 4), 0.92 at 576 (layer 1), 1.08 at 256, 1.10 at 147 (the 7×7 stem), 2.4 at 24 and 2.9 at 16 (MobileNetV2's
    /// 1×1 layers). Depthwise, dense and elementwise kernels keep <see cref="For"/>.
    /// </summary>
    public static Int8Path ForGemm(Isa isa, int depth) => isa switch
    {
        Isa.Avx512 when Avx512BW.IsSupported => AvxVnni.IsSupported && depth >= VnniMinDepth ? Int8Path.AvxVnni : Int8Path.Avx512,
        Isa.Avx512 or Isa.Avx2 when AvxVnni.IsSupported => Int8Path.AvxVnni,
        _ => For(isa),
    };

    /// <summary>
    /// The path of a quantized fully connected layer (<see cref="Int8Dense"/>): AVX-VNNI on the AVX2 and AVX-512 levels
    /// wherever the CPU has it (its weights stay bytes: half of what the 16-bit paths stream per run), else <see cref="For"/>.
    /// </summary>
    public static Int8Path ForDense(Isa isa) => isa is Isa.Avx512 or Isa.Avx2 && AvxVnni.IsSupported ? Int8Path.AvxVnni : For(isa);

    /// <summary>The GEMM depth from which the AVX-512 level takes AVX-VNNI (<see cref="ForGemm"/>).</summary>
    public const int VnniMinDepth = 512;

    /// <summary>
    /// The path of a convolution of <paramref name="shape"/>: <see cref="For"/> for depthwise; AVX-VNNI on the AVX2 and
    /// AVX-512 levels wherever <see cref="Int8Convolutions.DirectFits"/> (the direct kernel: 0.58–0.67 of the VNNI GEMM's
    /// time on ResNet-18's 3×3 layers, Zen 5); <see cref="ForGemm"/> otherwise.
    /// </summary>
    public static Int8Path ForConvolution(in Conv2dShape shape, Isa isa) =>
        shape.IsDepthwise ? For(isa)
        : isa is Isa.Avx512 or Isa.Avx2 && Int8Convolutions.DirectFits(shape, Int8Path.AvxVnni) ? Int8Path.AvxVnni
        : ForGemm(isa, shape.InChannels / shape.Groups * shape.KernelHeight * shape.KernelWidth);

    /// <summary>Whether this machine runs <paramref name="path"/>.</summary>
    public static bool IsSupported(Int8Path path) => path switch
    {
        Int8Path.Avx512 => Avx512BW.IsSupported,
        Int8Path.AvxVnni => AvxVnni.IsSupported,
        Int8Path.Avx2 => Avx2.IsSupported,
        Int8Path.Vector128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>The lower-case name used in algorithm labels.</summary>
    public static string Name(Int8Path path) => path switch
    {
        Int8Path.Avx512 => "avx512",
        Int8Path.AvxVnni => "avxvnni",
        Int8Path.Avx2 => "avx2",
        Int8Path.Vector128 => "vector128",
        _ => "scalar",
    };
}

/// <summary>
/// Requantization of int32 sums into uint8, per output row: <c>y = clamp(round_even(float(acc + bias[r]) · scale[r]) + zero, min, max)</c>,
/// the formula of ONNX Runtime's MLAS (float multiplier, round half to even, zero point added after rounding).
/// A fused ReLU/Clip only narrows [min, max].
/// </summary>
internal sealed class Requantizer
{
    public Requantizer(int[] bias, float[] scale, int zeroPoint, int min, int max)
    {
        Bias = bias;
        Scale = scale;
        ZeroPoint = zeroPoint;
        Min = min;
        Max = max;
    }

    /// <summary>Per-row int32 bias (the model's bias minus the activation zero point times the row's weight sum).</summary>
    public int[] Bias { get; }

    /// <summary>Per-row multiplier input_scale·weight_scale[r]/output_scale.</summary>
    public float[] Scale { get; }

    public int ZeroPoint { get; }

    public int Min { get; }

    public int Max { get; }

    /// <summary>Stores 8 int32 codes already clamped to [0, 255] as bytes at <paramref name="y"/> (the 256-bit paths' narrowing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void StoreCodes(Vector256<int> codes, byte* y)
    {
        Vector128<short> s = Sse2.PackSignedSaturate(codes.GetLower(), codes.GetUpper());
        *(ulong*)y = Sse2.PackUnsignedSaturate(s, s).AsUInt64().ToScalar();
    }

    /// <summary>The scalar reference of one value.</summary>
    public byte Apply(int acc, int row)
    {
        return Code((acc + Bias[row]) * Scale[row], ZeroPoint, Min, Max);
    }

    /// <summary>Requantizes <paramref name="count"/> sums of row <paramref name="row"/> into <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe void Row(int* acc, int count, int row, byte* y, Int8Path path)
    {
        int i = 0;
        int bias = Bias[row];
        float scale = Scale[row];
        if (path == Int8Path.Avx512)
        {
            Vector512<int> vb = Vector512.Create(bias), vz = Vector512.Create(ZeroPoint), lo = Vector512.Create(Min), hi = Vector512.Create(Max);
            Vector512<float> vs = Vector512.Create(scale);
            for (; i + 16 <= count; i += 16)
            {
                Avx512F.ConvertToVector128Byte(Codes(Vector512.Load(acc + i), vb, vs, vz, lo, hi)).Store(y + i);
            }
        }
        else if (path is Int8Path.Avx2 or Int8Path.AvxVnni)
        {
            Vector256<int> vb = Vector256.Create(bias), vz = Vector256.Create(ZeroPoint), lo = Vector256.Create(Min), hi = Vector256.Create(Max);
            Vector256<float> vs = Vector256.Create(scale);
            for (; i + 8 <= count; i += 8)
            {
                StoreCodes(Codes(Vector256.Load(acc + i), vb, vs, vz, lo, hi), y + i);
            }
        }
        else if (path == Int8Path.Vector128)
        {
            Vector128<int> vb = Vector128.Create(bias), vz = Vector128.Create(ZeroPoint), lo = Vector128.Create(Min), hi = Vector128.Create(Max);
            Vector128<float> vs = Vector128.Create(scale);
            for (; i + 8 <= count; i += 8)
            {
                Vector128<int> q0 = Codes(Vector128.Load(acc + i), vb, vs, vz, lo, hi);
                Vector128<int> q1 = Codes(Vector128.Load(acc + i + 4), vb, vs, vz, lo, hi);
                Vector128<ushort> s = Vector128.Narrow(q0, q1).AsUInt16();
                *(ulong*)(y + i) = Vector128.Narrow(s, s).AsUInt64().ToScalar();
            }
        }

        for (; i < count; i++)
        {
            y[i] = Apply(acc[i], row);
        }
    }

    /// <summary>The formula of <see cref="Apply"/> on 16 lanes (AVX-512; the conversion rounds half to even), codes clamped to [lo, hi].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Codes(Vector512<int> acc, Vector512<int> bias, Vector512<float> scale, Vector512<int> zero, Vector512<int> lo, Vector512<int> hi) =>
        Codes(Avx512F.ConvertToVector512Single(acc + bias) * scale, zero, lo, hi);

    /// <summary>The rest of the formula from the scaled sums float(acc + bias)·scale on 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Codes(Vector512<float> scaled, Vector512<int> zero, Vector512<int> lo, Vector512<int> hi) =>
        Vector512.Min(Vector512.Max(Avx512F.ConvertToVector512Int32(scaled) + zero, lo), hi);

    /// <summary>The formula of <see cref="Apply"/> on 8 lanes (AVX).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Codes(Vector256<int> acc, Vector256<int> bias, Vector256<float> scale, Vector256<int> zero, Vector256<int> lo, Vector256<int> hi) =>
        Codes(Avx.ConvertToVector256Single(acc + bias) * scale, zero, lo, hi);

    /// <summary>The rest of the formula from the scaled sums float(acc + bias)·scale on 8 lanes (AVX).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Codes(Vector256<float> scaled, Vector256<int> zero, Vector256<int> lo, Vector256<int> hi) =>
        Vector256.Min(Vector256.Max(Avx.ConvertToVector256Int32(scaled) + zero, lo), hi);

    /// <summary>The formula of <see cref="Apply"/> on 4 lanes (any hardware: rounded explicitly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Codes(Vector128<int> acc, Vector128<int> bias, Vector128<float> scale, Vector128<int> zero, Vector128<int> lo, Vector128<int> hi) =>
        Codes(Vector128.ConvertToSingle(acc + bias) * scale, zero, lo, hi);

    /// <summary>The rest of the formula from the scaled sums float(acc + bias)·scale on 4 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Codes(Vector128<float> scaled, Vector128<int> zero, Vector128<int> lo, Vector128<int> hi) =>
        Vector128.Min(Vector128.Max(Vector128.ConvertToInt32(Vector128.Round(scaled)) + zero, lo), hi);

    /// <summary>The rest of the formula from one scaled sum float(acc + bias)·scale.</summary>
    public static byte Code(float scaled, int zero, int min, int max) =>
        (byte)Math.Clamp((int)MathF.Round(scaled, MidpointRounding.ToEven) + zero, min, max);
}

/// <summary>
/// Integer GEMM <c>C[m, n] = Σk W[m, k] · X[k, n]</c> with uint8 activations X and int16-held integer weights W (int8 in
/// practice), exact int32 sums, requantized into uint8 rows of C. X is packed in tiles of 16 columns, four k at a time:
/// <c>[tile][k/4][16][4]</c> bytes (the layout of <c>vpdpbusd</c>), or on the AVX-512 path <c>[tile][k/4][2][16][2]</c>
/// (each pair of k for all 16 columns, so one widened register holds 16 columns' pairs and the two pairs of a quad
/// land in the same lanes: no lane shuffles before the store); W in tiles of <see cref="RowTile"/> rows (<c>[tile][k/4][rows][4]</c>).
/// Saturation: <c>vpmaddubsw</c> (u8×s8 pairs summed in int16) overflows for 255·127·2, which is why ONNX Runtime has
/// reduce-range; here the AVX2/AVX-512 paths zero-extend activations to 16 bits and use <c>vpmaddwd</c> (int16 pairs
/// summed in int32, exact for any int8 weight, and for uint8 weights with a zero point), and AVX-VNNI's <c>vpdpbusd</c>
/// sums in int32 — so no path saturates and none needs 7-bit weights.
/// </summary>
internal sealed unsafe class Int8Gemm
{
    /// <summary>Columns of X per packed tile.</summary>
    public const int ColumnTile = 16;

    private readonly short[] _w16;
    private readonly sbyte[]? _w8;
    private readonly short* _w16p;
    private readonly sbyte* _w8p;

    /// <summary>Packs <paramref name="weights"/> ([rows, depth] zero-point-centred integers) for <paramref name="path"/>.</summary>
    public Int8Gemm(ReadOnlySpan<short> weights, int rows, int depth, Int8Path path)
    {
        Rows = rows;
        Depth = depth;
        Path = path;
        // AVX-512: 16-row tiles (the widened activations serve twice the rows), or 8 where the last tile would hold
        // at most 8 real rows (24 rows: three tiles of 8, not two of 16 with 8 empty).
        RowTile = path switch { Int8Path.Avx512 => rows % 16 is 0 or > 8 ? 16 : 8, Int8Path.Avx2 or Int8Path.AvxVnni => 6, Int8Path.Vector128 => 4, _ => 1 };
        Quads = (depth + 3) / 4;
        RowTiles = (rows + RowTile - 1) / RowTile;
        _w16 = GC.AllocateArray<short>(RowTiles * Quads * RowTile * 4, pinned: true);
        bool bytes = true;
        for (int r = 0; r < rows; r++)
        {
            for (int k = 0; k < depth; k++)
            {
                short v = weights[(r * depth) + k];
                bytes &= v is >= sbyte.MinValue and <= sbyte.MaxValue;
                _w16[PackedIndex(r, k)] = v;
            }
        }

        if (path == Int8Path.AvxVnni)
        {
            if (!bytes)
            {
                // vpdpbusd takes int8 weights only: uint8 weights with a zero point take the 16-bit path.
                Path = Int8Path.Avx2;
            }
            else
            {
                _w8 = GC.AllocateArray<sbyte>(_w16.Length, pinned: true);
                for (int i = 0; i < _w16.Length; i++)
                {
                    _w8[i] = (sbyte)_w16[i];
                }

                _w8p = (sbyte*)Unsafe.AsPointer(ref _w8[0]);
            }
        }

        _w16p = (short*)Unsafe.AsPointer(ref _w16[0]);
    }

    public int Rows { get; }

    public int Depth { get; }

    public Int8Path Path { get; }

    /// <summary>Rows of W per packed tile (the register block of the micro-kernel).</summary>
    public int RowTile { get; }

    /// <summary>Depth in groups of four.</summary>
    public int Quads { get; }

    public int RowTiles { get; }

    /// <summary>Bytes of one packed 16-column tile of X.</summary>
    public int TileBytes => Quads * ColumnTile * 4;

    private int PackedIndex(int r, int k) => ((((r / RowTile) * Quads) + (k / 4)) * RowTile * 4) + ((r % RowTile) * 4) + (k % 4);

    /// <summary>Σk W[r, k] for every row: the activation zero point's share of a sum is −zero·RowSum.</summary>
    public int RowSum(int r)
    {
        int sum = 0;
        for (int k = 0; k < Depth; k++)
        {
            sum += _w16[PackedIndex(r, k)];
        }

        return sum;
    }

    /// <summary>
    /// Packs columns [<paramref name="first"/>, first + <paramref name="count"/>) (count ≤ 16) of X — row k at
    /// <paramref name="x"/> + k·<paramref name="rowStride"/>, unit column stride — into one tile; missing columns and depth are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PackTile(byte* x, long rowStride, int first, int count, byte* tile)
    {
        byte* src = x + first;
        int k = 0;
        bool pairs = Path == Int8Path.Avx512;
        if (pairs && count == ColumnTile)
        {
            for (; k + 4 <= Depth; k += 4, tile += 64)
            {
                // Rows k, k+1 interleaved (16 columns × 2 bytes), then rows k+2, k+3.
                Vector128<byte> a = Vector128.Load(src + (k * rowStride)), b = Vector128.Load(src + ((k + 1) * rowStride));
                Vector128<byte> c = Vector128.Load(src + ((k + 2) * rowStride)), d = Vector128.Load(src + ((k + 3) * rowStride));
                Sse2.UnpackLow(a, b).Store(tile);
                Sse2.UnpackHigh(a, b).Store(tile + 16);
                Sse2.UnpackLow(c, d).Store(tile + 32);
                Sse2.UnpackHigh(c, d).Store(tile + 48);
            }
        }
        else if (count == ColumnTile && Sse2.IsSupported)
        {
            for (; k + 4 <= Depth; k += 4, tile += 64)
            {
                // 4×16 byte transpose: rows k..k+3 of 16 columns → 16 columns × 4 bytes.
                Vector128<byte> a = Vector128.Load(src + (k * rowStride)), b = Vector128.Load(src + ((k + 1) * rowStride));
                Vector128<byte> c = Vector128.Load(src + ((k + 2) * rowStride)), d = Vector128.Load(src + ((k + 3) * rowStride));
                Vector128<ushort> abLo = Sse2.UnpackLow(a, b).AsUInt16(), abHi = Sse2.UnpackHigh(a, b).AsUInt16();
                Vector128<ushort> cdLo = Sse2.UnpackLow(c, d).AsUInt16(), cdHi = Sse2.UnpackHigh(c, d).AsUInt16();
                Sse2.UnpackLow(abLo, cdLo).AsByte().Store(tile);
                Sse2.UnpackHigh(abLo, cdLo).AsByte().Store(tile + 16);
                Sse2.UnpackLow(abHi, cdHi).AsByte().Store(tile + 32);
                Sse2.UnpackHigh(abHi, cdHi).AsByte().Store(tile + 48);
            }
        }

        for (; k < Quads * 4; k += 4, tile += 64)
        {
            for (int p = 0; p < ColumnTile; p++)
            {
                for (int j = 0; j < 4; j++)
                {
                    int at = pairs ? ((j / 2) * 32) + (p * 2) + (j % 2) : (p * 4) + j;
                    tile[at] = p < count && k + j < Depth ? src[((k + j) * rowStride) + p] : (byte)0;
                }
            }
        }
    }

    /// <summary>
    /// Multiplies row tile <paramref name="rowTile"/> of W by one packed tile of X and writes the requantized rows
    /// (rows beyond <see cref="Rows"/> skipped): row r's <paramref name="columns"/> values go to <paramref name="y"/> + r·<paramref name="yRowStride"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public void Multiply(int rowTile, byte* tile, int columns, Requantizer requant, byte* y, long yRowStride)
    {
        int* sums = stackalloc int[16 * ColumnTile];
        long panel = (long)rowTile * Quads * RowTile * 4; // this row tile's packed weights
        short* w = _w16p + panel;
        switch (Path)
        {
            case Int8Path.Avx512:
                bool stored = RowTile == 16
                    ? Multiply512<SixteenRows>(rowTile, tile, w, columns, requant, y, yRowStride, sums)
                    : Multiply512<EightRows>(rowTile, tile, w, columns, requant, y, yRowStride, sums);
                if (stored)
                {
                    return;
                }

                break;
            case Int8Path.Avx2:
                Kernel256(tile, w, Quads, sums);
                if (columns > ColumnTile / 2)
                {
                    Kernel256(tile + 32, w, Quads, sums + 8);
                }

                break;
            case Int8Path.AvxVnni:
                KernelVnni(tile, _w8p + panel, Quads, sums);
                break;
            case Int8Path.Vector128:
                Kernel128(tile, w, Quads, sums);
                break;
            default:
                KernelScalar(tile, w, Quads, RowTile, sums);
                break;
        }

        int first = rowTile * RowTile;
        int rows = Math.Min(RowTile, Rows - first);
        for (int r = 0; r < rows; r++)
        {
            requant.Row(sums + (r * ColumnTile), columns, first + r, y + ((first + r) * yRowStride), Path);
        }
    }

    // The AVX-512 tile: a full one requantized straight from the registers into the output rows (true), else its sums
    // into `sums` for the caller's requantization (false); a tile of at most 8 columns (the last of a 7×7 or 14×14 map)
    // takes half the products.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Multiply512<TRows>(int rowTile, byte* tile, short* w, int columns, Requantizer requant, byte* y, long yRowStride, int* sums)
        where TRows : struct, ICount
    {
        if (columns == ColumnTile && (rowTile + 1) * RowTile <= Rows)
        {
            fixed (int* bias = &requant.Bias[rowTile * RowTile])
            fixed (float* scale = &requant.Scale[rowTile * RowTile])
            {
                Kernel512<TRows>(tile, w, Quads, null,
                    new Epilogue(bias, scale, requant.ZeroPoint, requant.Min, requant.Max, y + (rowTile * RowTile * yRowStride), yRowStride));
            }

            return true;
        }

        if (columns <= ColumnTile / 2)
        {
            Kernel512Narrow<TRows>(tile, w, Quads, sums);
        }
        else
        {
            Kernel512<TRows>(tile, w, Quads, sums, default);
        }

        return false;
    }

    /// <summary>The reference: sums[r·16 + p] = Σ tile(p, k)·w(r, k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void KernelScalar(byte* tile, short* w, int quads, int rowTile, int* sums)
    {
        for (int r = 0; r < rowTile; r++)
        {
            for (int p = 0; p < ColumnTile; p++)
            {
                int acc = 0;
                for (int q = 0; q < quads; q++)
                {
                    byte* x = tile + (q * 64) + (p * 4);
                    short* wq = w + (((q * rowTile) + r) * 4);
                    acc += (x[0] * wq[0]) + (x[1] * wq[1]) + (x[2] * wq[2]) + (x[3] * wq[3]);
                }

                sums[(r * ColumnTile) + p] = acc;
            }
        }
    }

    // 4 rows × 16 columns, four columns at a time with the 16 sums in registers (24 with the operands: Arm64's and
    // EVEX's 32 registers): each column's four products of a quad widened to int32 in the lanes, summed across the lanes
    // at the end. Portable Vector128 (NEON, SSE, WebAssembly); int32 products, exact for uint8 weights with a zero point.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel128(byte* tile, short* w, int quads, int* sums)
    {
        for (int pv = 0; pv < 4; pv++)
        {
            Vector128<int> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
            Vector128<int> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
            byte* t = tile + (pv * 16);
            short* wq = w;
            for (int q = 0; q < quads; q++, t += 64, wq += 16)
            {
                (Vector128<ushort> x01, Vector128<ushort> x23) = Vector128.Widen(Vector128.Load(t));
                (Vector128<uint> u0, Vector128<uint> u1) = Vector128.Widen(x01);
                (Vector128<uint> u2, Vector128<uint> u3) = Vector128.Widen(x23);
                Vector128<int> x0 = u0.AsInt32(), x1 = u1.AsInt32(), x2 = u2.AsInt32(), x3 = u3.AsInt32();
                Vector128<int> wr = Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(long*)wq).AsInt16());
                a00 += x0 * wr; a01 += x1 * wr; a02 += x2 * wr; a03 += x3 * wr;
                wr = Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(long*)(wq + 4)).AsInt16());
                a10 += x0 * wr; a11 += x1 * wr; a12 += x2 * wr; a13 += x3 * wr;
                wr = Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(long*)(wq + 8)).AsInt16());
                a20 += x0 * wr; a21 += x1 * wr; a22 += x2 * wr; a23 += x3 * wr;
                wr = Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(long*)(wq + 12)).AsInt16());
                a30 += x0 * wr; a31 += x1 * wr; a32 += x2 * wr; a33 += x3 * wr;
            }

            int* s = sums + (pv * 4);
            s[0] = Vector128.Sum(a00); s[1] = Vector128.Sum(a01); s[2] = Vector128.Sum(a02); s[3] = Vector128.Sum(a03);
            s += ColumnTile;
            s[0] = Vector128.Sum(a10); s[1] = Vector128.Sum(a11); s[2] = Vector128.Sum(a12); s[3] = Vector128.Sum(a13);
            s += ColumnTile;
            s[0] = Vector128.Sum(a20); s[1] = Vector128.Sum(a21); s[2] = Vector128.Sum(a22); s[3] = Vector128.Sum(a23);
            s += ColumnTile;
            s[0] = Vector128.Sum(a30); s[1] = Vector128.Sum(a31); s[2] = Vector128.Sum(a32); s[3] = Vector128.Sum(a33);
        }
    }

    // 6 rows × 8 columns (two registers of four columns zero-extended to int16); lane 2p+h holds column p's half h.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(byte* tile, short* w, int quads, int* sums)
    {
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector256<int> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        for (int q = 0; q < quads; q++, tile += 64, w += 24)
        {
            Vector256<short> xa = Avx2.ConvertToVector256Int16(Vector128.Load(tile)).AsInt16();
            Vector256<short> xb = Avx2.ConvertToVector256Int16(Vector128.Load(tile + 16)).AsInt16();
            Vector256<short> w0 = Vector256.Create(*(long*)w).AsInt16();
            a0 += Avx2.MultiplyAddAdjacent(xa, w0);
            b0 += Avx2.MultiplyAddAdjacent(xb, w0);
            Vector256<short> w1 = Vector256.Create(*(long*)(w + 4)).AsInt16();
            a1 += Avx2.MultiplyAddAdjacent(xa, w1);
            b1 += Avx2.MultiplyAddAdjacent(xb, w1);
            Vector256<short> w2 = Vector256.Create(*(long*)(w + 8)).AsInt16();
            a2 += Avx2.MultiplyAddAdjacent(xa, w2);
            b2 += Avx2.MultiplyAddAdjacent(xb, w2);
            Vector256<short> w3 = Vector256.Create(*(long*)(w + 12)).AsInt16();
            a3 += Avx2.MultiplyAddAdjacent(xa, w3);
            b3 += Avx2.MultiplyAddAdjacent(xb, w3);
            Vector256<short> w4 = Vector256.Create(*(long*)(w + 16)).AsInt16();
            a4 += Avx2.MultiplyAddAdjacent(xa, w4);
            b4 += Avx2.MultiplyAddAdjacent(xb, w4);
            Vector256<short> w5 = Vector256.Create(*(long*)(w + 20)).AsInt16();
            a5 += Avx2.MultiplyAddAdjacent(xa, w5);
            b5 += Avx2.MultiplyAddAdjacent(xb, w5);
        }

        Store256(a0, b0, sums);
        Store256(a1, b1, sums + ColumnTile);
        Store256(a2, b2, sums + (2 * ColumnTile));
        Store256(a3, b3, sums + (3 * ColumnTile));
        Store256(a4, b4, sums + (4 * ColumnTile));
        Store256(a5, b5, sums + (5 * ColumnTile));
    }

    // Columns 0-3 in a, 4-7 in b, two halves each: hadd pairs them, the permute restores column order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(Vector256<int> a, Vector256<int> b, int* dst) =>
        Avx2.Permute4x64(Avx2.HorizontalAdd(a, b).AsInt64(), 0b11_01_10_00).AsInt32().Store(dst);

    // 6 rows × 16 columns with vpdpbusd: each int32 lane is one column's sum of four u8×s8 products.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelVnni(byte* tile, sbyte* w, int quads, int* sums)
    {
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector256<int> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
        for (int q = 0; q < quads; q++, tile += 64, w += 24)
        {
            Vector256<byte> xa = Vector256.Load(tile), xb = Vector256.Load(tile + 32);
            Vector256<sbyte> w0 = Vector256.Create(*(int*)w).AsSByte();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, xa, w0);
            b0 = AvxVnni.MultiplyWideningAndAdd(b0, xb, w0);
            Vector256<sbyte> w1 = Vector256.Create(*(int*)(w + 4)).AsSByte();
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, xa, w1);
            b1 = AvxVnni.MultiplyWideningAndAdd(b1, xb, w1);
            Vector256<sbyte> w2 = Vector256.Create(*(int*)(w + 8)).AsSByte();
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, xa, w2);
            b2 = AvxVnni.MultiplyWideningAndAdd(b2, xb, w2);
            Vector256<sbyte> w3 = Vector256.Create(*(int*)(w + 12)).AsSByte();
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, xa, w3);
            b3 = AvxVnni.MultiplyWideningAndAdd(b3, xb, w3);
            Vector256<sbyte> w4 = Vector256.Create(*(int*)(w + 16)).AsSByte();
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, xa, w4);
            b4 = AvxVnni.MultiplyWideningAndAdd(b4, xb, w4);
            Vector256<sbyte> w5 = Vector256.Create(*(int*)(w + 20)).AsSByte();
            a5 = AvxVnni.MultiplyWideningAndAdd(a5, xa, w5);
            b5 = AvxVnni.MultiplyWideningAndAdd(b5, xb, w5);
        }

        a0.Store(sums);
        b0.Store(sums + 8);
        a1.Store(sums + 16);
        b1.Store(sums + 24);
        a2.Store(sums + 32);
        b2.Store(sums + 40);
        a3.Store(sums + 48);
        b3.Store(sums + 56);
        a4.Store(sums + 64);
        b4.Store(sums + 72);
        a5.Store(sums + 80);
        b5.Store(sums + 88);
    }

    /// <summary>The row count of an AVX-512 tile as a type, so one kernel source serves 8 and 16 rows (the JIT drops the other's code).</summary>
    private interface ICount
    {
        static abstract bool Sixteen { get; }
    }

    private struct EightRows : ICount
    {
        public static bool Sixteen => false;
    }

    private struct SixteenRows : ICount
    {
        public static bool Sixteen => true;
    }

    // 8 or 16 rows × 16 columns on the pair layout: xa holds the 16 columns' (k0, k1) pairs zero-extended to int16, xb
    // their (k2, k3), so vpmaddwd with a row's (w0, w1) and with its (w2, w3) leaves column p's partial sums in lane p
    // of both. The sums go to `sums`, or, when it is null, through the epilogue's requantization into its rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512<TRows>(byte* tile, short* w, int quads, int* sums, Epilogue e)
        where TRows : struct, ICount
    {
        Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<int> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        int step = TRows.Sixteen ? 64 : 32;
        for (int q = 0; q < quads; q++, tile += 64, w += step)
        {
            Vector512<short> xa = Avx512BW.ConvertToVector512Int16(Vector256.Load(tile)).AsInt16();
            Vector512<short> xb = Avx512BW.ConvertToVector512Int16(Vector256.Load(tile + 32)).AsInt16();
            a0 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)w).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 2)).AsInt16());
            a1 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 4)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 6)).AsInt16());
            a2 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 8)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 10)).AsInt16());
            a3 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 12)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 14)).AsInt16());
            a4 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 16)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 18)).AsInt16());
            a5 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 20)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 22)).AsInt16());
            a6 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 24)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 26)).AsInt16());
            a7 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 28)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 30)).AsInt16());
            if (TRows.Sixteen)
            {
                a8 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 32)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 34)).AsInt16());
                a9 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 36)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 38)).AsInt16());
                a10 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 40)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 42)).AsInt16());
                a11 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 44)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 46)).AsInt16());
                a12 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 48)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 50)).AsInt16());
                a13 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 52)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 54)).AsInt16());
                a14 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 56)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 58)).AsInt16());
                a15 += Avx512BW.MultiplyAddAdjacent(xa, Vector512.Create(*(int*)(w + 60)).AsInt16()) + Avx512BW.MultiplyAddAdjacent(xb, Vector512.Create(*(int*)(w + 62)).AsInt16());
            }
        }

        Store512(a0, sums, 0, e);
        Store512(a1, sums, 1, e);
        Store512(a2, sums, 2, e);
        Store512(a3, sums, 3, e);
        Store512(a4, sums, 4, e);
        Store512(a5, sums, 5, e);
        Store512(a6, sums, 6, e);
        Store512(a7, sums, 7, e);
        if (TRows.Sixteen)
        {
            Store512(a8, sums, 8, e);
            Store512(a9, sums, 9, e);
            Store512(a10, sums, 10, e);
            Store512(a11, sums, 11, e);
            Store512(a12, sums, 12, e);
            Store512(a13, sums, 13, e);
            Store512(a14, sums, 14, e);
            Store512(a15, sums, 15, e);
        }
    }

    // 8 or 16 rows × the first 8 columns of a pair-layout tile (lanes 0-7 of Kernel512's registers, in 256 bits);
    // sums[r·16 + p], p < 8.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Narrow<TRows>(byte* tile, short* w, int quads, int* sums)
        where TRows : struct, ICount
    {
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector256<int> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        int step = TRows.Sixteen ? 64 : 32;
        for (int q = 0; q < quads; q++, tile += 64, w += step)
        {
            Vector256<short> xa = Avx2.ConvertToVector256Int16(Vector128.Load(tile)).AsInt16();
            Vector256<short> xb = Avx2.ConvertToVector256Int16(Vector128.Load(tile + 32)).AsInt16();
            a0 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)w).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 2)).AsInt16());
            a1 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 4)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 6)).AsInt16());
            a2 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 8)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 10)).AsInt16());
            a3 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 12)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 14)).AsInt16());
            a4 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 16)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 18)).AsInt16());
            a5 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 20)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 22)).AsInt16());
            a6 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 24)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 26)).AsInt16());
            a7 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 28)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 30)).AsInt16());
            if (TRows.Sixteen)
            {
                a8 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 32)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 34)).AsInt16());
                a9 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 36)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 38)).AsInt16());
                a10 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 40)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 42)).AsInt16());
                a11 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 44)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 46)).AsInt16());
                a12 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 48)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 50)).AsInt16());
                a13 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 52)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 54)).AsInt16());
                a14 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 56)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 58)).AsInt16());
                a15 += Avx2.MultiplyAddAdjacent(xa, Vector256.Create(*(int*)(w + 60)).AsInt16()) + Avx2.MultiplyAddAdjacent(xb, Vector256.Create(*(int*)(w + 62)).AsInt16());
            }
        }

        a0.Store(sums);
        a1.Store(sums + ColumnTile);
        a2.Store(sums + (2 * ColumnTile));
        a3.Store(sums + (3 * ColumnTile));
        a4.Store(sums + (4 * ColumnTile));
        a5.Store(sums + (5 * ColumnTile));
        a6.Store(sums + (6 * ColumnTile));
        a7.Store(sums + (7 * ColumnTile));
        if (TRows.Sixteen)
        {
            a8.Store(sums + (8 * ColumnTile));
            a9.Store(sums + (9 * ColumnTile));
            a10.Store(sums + (10 * ColumnTile));
            a11.Store(sums + (11 * ColumnTile));
            a12.Store(sums + (12 * ColumnTile));
            a13.Store(sums + (13 * ColumnTile));
            a14.Store(sums + (14 * ColumnTile));
            a15.Store(sums + (15 * ColumnTile));
        }
    }

    /// <summary>Where a full tile's rows are requantized to (the <see cref="Requantizer.Row"/> formula, from registers).</summary>
    private readonly struct Epilogue(int* bias, float* scale, int zero, int min, int max, byte* y, long stride)
    {
        public readonly int* Bias = bias;
        public readonly float* Scale = scale;
        public readonly int Zero = zero, Min = min, Max = max;
        public readonly byte* Y = y;
        public readonly long Stride = stride;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(Vector512<int> sum, int* sums, int r, in Epilogue e)
    {
        if (sums != null)
        {
            sum.Store(sums + (r * ColumnTile));
            return;
        }

        Vector512<float> f = Avx512F.ConvertToVector512Single(sum + Vector512.Create(e.Bias[r])) * Vector512.Create(e.Scale[r]);
        Vector512<int> q = Vector512.Min(Vector512.Max(Avx512F.ConvertToVector512Int32(f) + Vector512.Create(e.Zero), Vector512.Create(e.Min)), Vector512.Create(e.Max));
        Avx512F.ConvertToVector128Byte(q).Store(e.Y + (r * e.Stride));
    }
}
