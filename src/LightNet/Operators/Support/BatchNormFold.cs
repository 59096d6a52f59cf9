using System.Runtime.CompilerServices;

namespace LightNet.Operators.Support;

/// <summary>
/// The one BatchNormalization fold, shared by the graph compiler (Conv/Dense + BN) and the quantizer's graph
/// preparation: y = scale·x + shift with scale = γ/√(σ² + ε) and shift = β − μ·scale, folded into weights and bias.
/// </summary>
internal static class BatchNormFold
{
    /// <summary>The per-channel affine form of an inference-mode BatchNormalization.</summary>
    public static (float[] Scale, float[] Shift) Affine(float[] gamma, float[] beta, float[] mean, float[] variance, float epsilon)
    {
        var scale = new float[gamma.Length];
        var shift = new float[gamma.Length];
        for (int c = 0; c < scale.Length; c++)
        {
            scale[c] = (float)(gamma[c] / Math.Sqrt(variance[c] + (double)epsilon));
            shift[c] = beta[c] - (mean[c] * scale[c]);
        }

        return (scale, shift);
    }

    /// <summary>Scales each output channel's weights (the leading dimension) in place and returns the folded bias.</summary>
    /// <param name="weights">Weights with the output channel as the leading dimension; scaled in place.</param>
    /// <param name="bias">The existing bias (one per output channel), or null for none.</param>
    /// <param name="scale">Per-channel scale.</param>
    /// <param name="shift">Per-channel shift.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] IntoWeights(float[] weights, float[]? bias, float[] scale, float[] shift)
    {
        int channels = scale.Length;
        int per = weights.Length / channels;
        var folded = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            for (int k = 0; k < per; k++)
            {
                weights[(c * per) + k] *= scale[c];
            }

            folded[c] = ((bias?[c] ?? 0f) * scale[c]) + shift[c];
        }

        return folded;
    }
}
