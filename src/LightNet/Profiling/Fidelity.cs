using LightNet.Backends;

namespace LightNet.Profiling;

/// <summary>How closely one backend's output matches a reference backend's on the same inputs.</summary>
public sealed record FidelityReport
{
    /// <summary>The output compared.</summary>
    public required string Output { get; init; }

    /// <summary>The backend under test.</summary>
    public required string Backend { get; init; }

    /// <summary>The reference backend.</summary>
    public required string Reference { get; init; }

    /// <summary>Largest |a − r|.</summary>
    public double MaxAbsoluteError { get; init; }

    /// <summary>Mean |a − r|.</summary>
    public double MeanAbsoluteError { get; init; }

    /// <summary>Largest |a − r| / max(|r|, 1e-6).</summary>
    public double MaxRelativeError { get; init; }

    /// <summary>Cosine similarity of the two outputs as vectors (1 = same direction).</summary>
    public double CosineSimilarity { get; init; }

    /// <summary>
    /// The largest |a − r| / (<see cref="AbsoluteTolerance"/> + <see cref="RelativeTolerance"/>·|r|) over the elements:
    /// 1 or below means every element passes numpy's <c>allclose(a, r, rtol=1e-3, atol=1e-4)</c>, the tolerance an FP32
    /// backend is held to against another FP32 backend.
    /// </summary>
    public double AllCloseRatio { get; init; }

    /// <summary>The relative tolerance in <see cref="AllCloseRatio"/>: 1e-3.</summary>
    public const double RelativeTolerance = 1e-3;

    /// <summary>The absolute tolerance in <see cref="AllCloseRatio"/>: 1e-4.</summary>
    public const double AbsoluteTolerance = 1e-4;

    /// <summary>For [batch, classes] outputs, the share of rows whose arg-max agrees (0 to 1); null for other shapes.</summary>
    public double? Top1Agreement { get; init; }
}

/// <summary>Runs two backends on the same inputs and measures how far apart their outputs are.</summary>
internal static class Fidelity
{
    public static IReadOnlyList<FidelityReport> Compare(Model model, Backend backend, Backend reference, ProfileOptions options, Model referenceModel)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(reference);
        options.ThrowIfInvalid();
        Dictionary<string, TensorBuffer> inputs = MeasurementInputs.Create(referenceModel, options, out _, []);
        IReadOnlyDictionary<string, TensorBuffer> expected, actual;
        using (IInferenceSession session = reference.CreateSession(referenceModel, MeasurementInputs.SessionOptions(referenceModel, options, inputs)))
        {
            expected = session.Run(inputs);
        }

        using (IInferenceSession session = backend.CreateSession(model, MeasurementInputs.SessionOptions(model, options, inputs)))
        {
            actual = session.Run(inputs);
        }

        var reports = new List<FidelityReport>();
        foreach ((string name, TensorBuffer r) in expected)
        {
            if (!actual.TryGetValue(name, out TensorBuffer? a))
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Backend '{backend.Name}' gives no output '{name}', which '{reference.Name}' gives.");
            }

            if (!a.Shape.SequenceEqual(r.Shape))
            {
                throw new LightNetException(ErrorCode.InvalidShape,
                    $"Output '{name}' has shape {Onnx.Dimension.Format(a.Shape)} on '{backend.Name}' but {Onnx.Dimension.Format(r.Shape)} on '{reference.Name}'.");
            }

            reports.Add(Measure(name, backend.Name, reference.Name, a.ToFloatArray(), r.ToFloatArray(), r.Shape));
        }

        return reports;
    }

    internal static FidelityReport Measure(string output, string backend, string reference, float[] a, float[] r, IReadOnlyList<long> shape)
    {
        double maxAbs = 0, sumAbs = 0, maxRel = 0, allClose = 0, dot = 0, na = 0, nr = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - r[i]);
            maxAbs = Math.Max(maxAbs, d);
            sumAbs += d;
            maxRel = Math.Max(maxRel, d / Math.Max(Math.Abs((double)r[i]), 1e-6));
            allClose = Math.Max(allClose, d / (FidelityReport.AbsoluteTolerance + (FidelityReport.RelativeTolerance * Math.Abs((double)r[i]))));
            dot += (double)a[i] * r[i];
            na += (double)a[i] * a[i];
            nr += (double)r[i] * r[i];
        }

        double cosine = na == 0 && nr == 0 ? 1 : na == 0 || nr == 0 ? 0 : dot / Math.Sqrt(na * nr);
        double? top1 = null;
        if (shape.Count == 2 && shape[1] > 1)
        {
            int rows = (int)shape[0], cols = (int)shape[1];
            int agree = 0;
            for (int row = 0; row < rows; row++)
            {
                agree += ArgMax(a.AsSpan(row * cols, cols)) == ArgMax(r.AsSpan(row * cols, cols)) ? 1 : 0;
            }

            top1 = rows == 0 ? null : (double)agree / rows;
        }

        return new FidelityReport
        {
            Output = output,
            Backend = backend,
            Reference = reference,
            MaxAbsoluteError = maxAbs,
            MeanAbsoluteError = a.Length == 0 ? 0 : sumAbs / a.Length,
            MaxRelativeError = maxRel,
            AllCloseRatio = double.IsNaN(maxAbs) ? double.PositiveInfinity : allClose,
            CosineSimilarity = cosine,
            Top1Agreement = top1,
        };
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++)
        {
            if (v[i] > v[best]) best = i;
        }

        return best;
    }
}
