using LightNet.Backends;
using LightNet.Onnx.Protos;
using Microsoft.Extensions.Logging;

namespace LightNet.Compression;

/// <summary>The float range chosen for one activation tensor.</summary>
internal readonly record struct TensorRange(float Min, float Max);

/// <summary>
/// Runs the calibration data through the model in ONNX Runtime with the intermediate tensors added as extra graph
/// outputs (at most <see cref="QuantizationOptions.MaxTensorsPerPass"/> per pass) and turns what it sees into ranges.
/// </summary>
internal static class Calibrator
{
    private const int QuantizedBins = 128;

    public static Dictionary<string, TensorRange> Calibrate(ModelProto floatModel, IReadOnlyList<string> tensors, CalibrationData data,
        QuantizationOptions options, IProgress<CalibrationProgress>? progress, ILogger logger, CancellationToken ct)
    {
        bool histogram = options.Method != CalibrationMethod.MinMax;
        string[][] batches = tensors.Chunk(options.MaxTensorsPerPass).ToArray();
        int passes = batches.Length * (histogram ? 2 : 1);
        int pass = 0;
        var ranges = new Dictionary<string, TensorRange>(StringComparer.Ordinal);
        Model check = ProtoGraph.ToModel(floatModel, "calibration model");
        Backend backend = Backend.Parse("ort-cpu");
        foreach (string[] batch in batches)
        {
            ModelProto augmented = floatModel.Clone();
            var existing = augmented.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            foreach (string t in batch.Where(t => !existing.Contains(t)))
            {
                augmented.Graph.Output.Add(new ValueInfoProto
                {
                    Name = t,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = ProtoGraph.Float } },
                });
            }

            Model model = ProtoGraph.ToModel(augmented, "calibration model");
            using IInferenceSession session = backend.CreateSession(model, InferenceOptions.Default);
            var min = batch.ToDictionary(t => t, _ => float.PositiveInfinity, StringComparer.Ordinal);
            var max = batch.ToDictionary(t => t, _ => float.NegativeInfinity, StringComparer.Ordinal);
            int samples = Run(session, check, data, options, ++pass, passes, progress, ct, outputs =>
            {
                foreach (string t in batch)
                {
                    foreach (float v in outputs[t].AsSpan<float>())
                    {
                        if (v < min[t]) min[t] = v;
                        if (v > max[t]) max[t] = v;
                    }
                }
            });
            logger.LogDebug("Calibration pass {Pass}/{Passes}: {Samples} samples, {Tensors} tensors", pass, passes, samples, batch.Length);
            if (!histogram)
            {
                foreach (string t in batch) ranges[t] = new TensorRange(min[t], max[t]);
                continue;
            }

            // Second pass: a histogram of the nonzero |x| over [0, max |x|] per tensor, then the percentile or the KL-optimal threshold.
            int bins = options.HistogramBins;
            var hist = batch.ToDictionary(t => t, _ => new long[bins], StringComparer.Ordinal);
            var top = batch.ToDictionary(t => t, t => Math.Max(Math.Abs(min[t]), Math.Abs(max[t])), StringComparer.Ordinal);
            Run(session, check, data, options, ++pass, passes, progress, ct, outputs =>
            {
                foreach (string t in batch)
                {
                    long[] h = hist[t];
                    float width = top[t] / bins;
                    if (width <= 0) continue;
                    foreach (float v in outputs[t].AsSpan<float>())
                    {
                        // Exact zeros (most of a Relu's output) are exact at any scale: counting them would make the spike at 0
                        // dominate the divergence and pull the threshold down.
                        if (v == 0) continue;
                        int b = (int)(MathF.Abs(v) / width);
                        h[Math.Min(b, bins - 1)]++;
                    }
                }
            });
            foreach (string t in batch)
            {
                float width = top[t] / bins;
                float threshold = width <= 0 ? 0
                    : options.Method == CalibrationMethod.Percentile ? PercentileThreshold(hist[t], width, options.Percentile)
                    : EntropyThreshold(hist[t], width);
                ranges[t] = new TensorRange(Math.Max(min[t], -threshold), Math.Min(max[t], threshold));
            }
        }

        return ranges;
    }

    private static int Run(IInferenceSession session, Model model, CalibrationData data, QuantizationOptions options, int pass, int passes,
        IProgress<CalibrationProgress>? progress, CancellationToken ct, Action<IReadOnlyDictionary<string, TensorBuffer>> observe)
    {
        int n = 0;
        int? total = data.Count is int c ? Math.Min(c, options.MaxCalibrationSamples) : null;
        foreach (IReadOnlyDictionary<string, TensorBuffer> sample in data.Read(model, ct))
        {
            ct.ThrowIfCancellationRequested();
            CalibrationData.CheckSample(model, sample, n);
            var inputs = model.Graph.Inputs.ToDictionary(i => i.Name, i => sample[i.Name], StringComparer.Ordinal);
            observe(session.Run(inputs));
            n++;
            progress?.Report(new CalibrationProgress(pass, passes, n, total));
            if (n >= options.MaxCalibrationSamples) break;
        }

        if (n == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The calibration set ({data.Description}) is empty: calibration needs at least one sample.");
        }

        return n;
    }

    /// <summary>The value below which <paramref name="percentile"/> % of the |x| fall.</summary>
    internal static float PercentileThreshold(long[] hist, float width, double percentile)
    {
        long total = hist.Sum();
        double wanted = total * percentile / 100.0;
        long seen = 0;
        for (int i = 0; i < hist.Length; i++)
        {
            seen += hist[i];
            if (seen >= wanted) return (i + 1) * width;
        }

        return hist.Length * width;
    }

    /// <summary>
    /// The threshold whose clipped, 128-level quantized distribution is closest (KL divergence) to the observed one:
    /// the calibration of TensorRT and ONNX Runtime's entropy calibrator, here on the histogram of |x|.
    /// </summary>
    internal static float EntropyThreshold(long[] hist, float width)
    {
        int bins = hist.Length;
        double bestKl = double.PositiveInfinity;
        int bestI = bins;
        var p = new double[bins];
        var q = new double[bins];
        for (int i = QuantizedBins; i <= bins; i++)
        {
            // p: the histogram clipped at bin i, the outliers added to its last bin.
            double outliers = 0;
            for (int k = i; k < bins; k++) outliers += hist[k];
            for (int k = 0; k < i; k++) p[k] = hist[k];
            p[i - 1] += outliers;

            // q: the clipped histogram without the outliers merged into 128 levels, each level's mass spread evenly over its
            // nonzero bins (TensorRT's algorithm; adding the outliers to q too would make the smallest threshold always win).
            Array.Clear(q, 0, i);
            double merge = (double)i / QuantizedBins;
            for (int level = 0; level < QuantizedBins; level++)
            {
                int start = (int)(level * merge), end = level == QuantizedBins - 1 ? i : (int)((level + 1) * merge);
                double sum = 0;
                int nonzero = 0;
                for (int k = start; k < end; k++)
                {
                    sum += hist[k];
                    if (hist[k] != 0) nonzero++;
                }

                if (nonzero == 0) continue;
                for (int k = start; k < end; k++)
                {
                    if (p[k] != 0) q[k] = sum / nonzero;
                }
            }

            double kl = Kl(p.AsSpan(0, i), q.AsSpan(0, i));
            if (kl < bestKl)
            {
                bestKl = kl;
                bestI = i;
            }
        }

        return bestI * width;
    }

    private static double Kl(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double sp = 0, sq = 0;
        foreach (double v in p) sp += v;
        foreach (double v in q) sq += v;
        if (sp == 0 || sq == 0) return double.PositiveInfinity;
        double kl = 0;
        for (int k = 0; k < p.Length; k++)
        {
            if (p[k] == 0) continue;
            double pk = p[k] / sp, qk = q[k] / sq;
            kl += qk == 0 ? double.PositiveInfinity : pk * Math.Log(pk / qk);
        }

        return kl;
    }
}
