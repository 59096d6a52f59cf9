using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LightNet.Engine.Kernels;

/// <summary>
/// The AVX2 byte-pair step of the integer kernels on CPUs without VNNI: <c>vpmaddubsw</c> multiplies uint8 activations
/// by int8 weights and sums each pair of products in int16 (saturating), <c>vpmaddwd</c> by ones sums the two pairs of a
/// 4-byte lane into int32. Exact only where every pair of weights has |w0| + |w1| ≤ 128: any uint8 codes then keep a
/// pair within ±255·128 = ±32,640 (<see cref="Fit"/>). Weights quantized to 7 bits (<c>lightnet quantize --reduce-range</c>,
/// what ONNX Runtime's quantizer offers for such CPUs) always fit; full-range 8-bit weights rarely do, and take the
/// kernels' 16-bit <c>vpmaddwd</c> forms instead (ONNX Runtime's MLAS runs this step on them anyway and saturates).
/// </summary>
internal static class Int8BytePairs
{
    /// <summary>
    /// Whether every pair fits for <paramref name="weights"/> ([rows, channels·taps], channel-major then tap): at each tap,
    /// channels (0, 1), (2, 3), … pair up (an odd last channel pairs with a zero), and every weight is a signed byte (a
    /// centred uint8 weight may be 128).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Fit(ReadOnlySpan<short> weights, int rows, int channels, int taps)
    {
        int depth = channels * taps;
        for (int o = 0; o < rows; o++)
        {
            ReadOnlySpan<short> row = weights.Slice(o * depth, depth);
            for (int t = 0; t < taps; t++)
            {
                for (int c = 0; c < channels; c += 2)
                {
                    int w0 = row[(c * taps) + t], w1 = c + 1 < channels ? row[((c + 1) * taps) + t] : 0;
                    if (Math.Abs(w0) + Math.Abs(w1) > 128 || w0 > sbyte.MaxValue || w1 > sbyte.MaxValue)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    /// <summary><paramref name="acc"/> plus, per int32 lane, the 4 products of <paramref name="x"/>'s codes and <paramref name="w"/>'s weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> x, Vector256<sbyte> w) =>
        acc + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w), Vector256<short>.One);
}
