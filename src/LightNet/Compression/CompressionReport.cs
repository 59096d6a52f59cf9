using LightNet.Backends;
using LightNet.Profiling;

namespace LightNet.Compression;

/// <summary>What <see cref="CompressionReport.Measure"/> measures and on which inputs.</summary>
public sealed record CompressionMeasureOptions
{
    /// <summary>Fidelity on random inputs, no latency.</summary>
    public static CompressionMeasureOptions Default { get; } = new();

    /// <summary>The inputs both models run on for fidelity; null for 4 synthetic samples in the model's input range.</summary>
    public CalibrationData? Inputs { get; init; }

    /// <summary>Most samples compared.</summary>
    public int MaxSamples { get; init; } = 16;

    /// <summary>The backend both models run on for fidelity.</summary>
    public string FidelityBackend { get; init; } = "ort-cpu";

    /// <summary>The backend latency is measured on; null to skip latency.</summary>
    public string? LatencyBackend { get; init; }

    /// <summary>How latency is measured (runs, threads); null for <see cref="ProfileOptions.Quick"/> with 1 thread.</summary>
    public ProfileOptions? Profile { get; init; }

    /// <summary>Every problem with the options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxSamples < 1) errors.Add($"MaxSamples must be at least 1 (got {MaxSamples}).");
        if (string.IsNullOrWhiteSpace(FidelityBackend)) errors.Add("FidelityBackend is empty.");
        if (LatencyBackend is not null && string.IsNullOrWhiteSpace(LatencyBackend)) errors.Add("LatencyBackend is blank (use null to skip latency).");
        if (Profile is not null) errors.AddRange(Profile.Validate());
        return errors;
    }
}

/// <summary>The cost of a compression: size before and after, fidelity against the original, latency before and after.</summary>
public sealed record CompressionReport
{
    /// <summary>Schema identifier of the JSON form.</summary>
    public const string CurrentSchema = "lightnet.compression/1";

    /// <summary>Schema identifier.</summary>
    public string Schema { get; init; } = CurrentSchema;

    /// <summary>When the report was made.</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>The original model's name.</summary>
    public required string ModelName { get; init; }

    /// <summary>What was done (for example "int8 static (per-channel, MinMax)" or "fp16").</summary>
    public string Method { get; init; } = "";

    /// <summary>Serialized size of the original model in bytes.</summary>
    public long FileBytesBefore { get; init; }

    /// <summary>Serialized size of the compressed model in bytes.</summary>
    public long FileBytesAfter { get; init; }

    /// <summary><see cref="FileBytesAfter"/> / <see cref="FileBytesBefore"/>.</summary>
    public double SizeRatio => FileBytesBefore == 0 ? 0 : (double)FileBytesAfter / FileBytesBefore;

    /// <summary>Bytes of all initializers of the original.</summary>
    public long ParameterBytesBefore { get; init; }

    /// <summary>Bytes of all initializers of the compressed model.</summary>
    public long ParameterBytesAfter { get; init; }

    /// <summary>Number of input samples the fidelity is measured on.</summary>
    public int Samples { get; init; }

    /// <summary>The inputs fidelity is measured on.</summary>
    public string InputsDescription { get; init; } = "";

    /// <summary>Per output, over all samples: the largest absolute error, the mean absolute error, the lowest per-sample cosine
    /// similarity and the share of rows whose arg-max agrees (for [batch, classes] outputs).</summary>
    public IReadOnlyList<FidelityReport> Fidelity { get; init; } = [];

    /// <summary>The backend latency was measured on, or null.</summary>
    public string? LatencyBackend { get; init; }

    /// <summary>Latency of the original, or null when not measured.</summary>
    public LatencySummary? LatencyBefore { get; init; }

    /// <summary>Latency of the compressed model, or null when not measured.</summary>
    public LatencySummary? LatencyAfter { get; init; }

    /// <summary>Warnings collected while measuring.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Measures the cost of compressing <paramref name="original"/> into <paramref name="compressed"/>.</summary>
    /// <param name="original">The FP32 model.</param>
    /// <param name="compressed">The compressed model with the same inputs and outputs.</param>
    /// <param name="options">Inputs and backends; null for <see cref="CompressionMeasureOptions.Default"/>.</param>
    /// <param name="cancellationToken">Stops between samples and runs.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for bad options or models whose outputs differ;
    /// <see cref="ErrorCode.BackendUnavailable"/>; the backends' errors.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static CompressionReport Measure(Model original, Model compressed, CompressionMeasureOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(compressed);
        options ??= CompressionMeasureOptions.Default;
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Invalid compression measure options: " + string.Join(" ", errors));
        }

        string[] before = original.Graph.Outputs.Select(o => o.Name).ToArray(), after = compressed.Graph.Outputs.Select(o => o.Name).ToArray();
        if (!before.SequenceEqual(after))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"The compressed model's outputs ({string.Join(", ", after)}) differ from the original's ({string.Join(", ", before)}).");
        }

        CalibrationData inputs = options.Inputs ?? CalibrationData.Synthetic(original, Math.Min(4, options.MaxSamples));
        Backend backend = Backend.Parse(options.FidelityBackend);
        BackendAvailability availability = backend.CheckAvailability();
        if (!availability.IsAvailable)
        {
            throw new LightNetException(ErrorCode.BackendUnavailable, $"Backend '{backend.Name}' is not available on this machine: {availability.Reason}");
        }

        var accumulators = before.ToDictionary(o => o, o => new FidelityAccumulator(o), StringComparer.Ordinal);
        int samples = 0;
        // The samples' shapes are only known as they are read: a backend that compiles for static shapes (cpu-simd) compiles at
        // the first sample of each shape.
        InferenceOptions sessionOptions = options.Profile?.ToInferenceOptions() ?? InferenceOptions.Default;
        using (IInferenceSession reference = backend.CreateSession(original, sessionOptions))
        using (IInferenceSession test = backend.CreateSession(compressed, sessionOptions))
        {
            foreach (IReadOnlyDictionary<string, TensorBuffer> sample in inputs.Read(original, cancellationToken))
            {
                cancellationToken.ThrowIfCancellationRequested();
                CalibrationData.CheckSample(original, sample, samples);
                var feed = original.Graph.Inputs.ToDictionary(i => i.Name, i => sample[i.Name], StringComparer.Ordinal);
                IReadOnlyDictionary<string, TensorBuffer> expected = reference.Run(feed), actual = test.Run(feed);
                foreach ((string name, FidelityAccumulator acc) in accumulators)
                {
                    TensorBuffer r = expected[name], a = actual[name];
                    acc.Add(Profiling.Fidelity.Measure(name, backend.Name, backend.Name, a.ToFloatArray(), r.ToFloatArray(), r.Shape));
                }

                if (++samples >= options.MaxSamples) break;
            }
        }

        if (samples == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The fidelity inputs ({inputs.Description}) are empty.");
        }

        var warnings = inputs.Skipped.Select(s => $"Skipped input: {s}").ToList();
        LatencySummary? latencyBefore = null, latencyAfter = null;
        if (options.LatencyBackend is string latencyName)
        {
            ProfileOptions profile = options.Profile ?? ProfileOptions.Quick with { Threads = 1 };
            ComparisonReport comparison = Profiler.Compare([original, compressed], [Backend.Parse(latencyName)], profile, cancellationToken: cancellationToken);
            if (comparison.Cells.Count != 2 || comparison.Cells.Any(c => c.LatencyMs is null))
            {
                warnings.Add($"Latency on '{latencyName}' could not be measured: "
                    + string.Join("; ", comparison.Cells.Select(c => c.Error).Concat(comparison.Unavailable.Select(u => u.Reason)).Where(e => e is not null)));
            }
            else
            {
                latencyBefore = comparison.Cells[0].LatencyMs;
                latencyAfter = comparison.Cells[1].LatencyMs;
            }
        }

        return new CompressionReport
        {
            CreatedUtc = DateTimeOffset.UtcNow,
            ModelName = Profiler.ModelName(original),
            Method = compressed.Metadata.GetValueOrDefault("lightnet.compression", ""),
            FileBytesBefore = original.SerializedBytes,
            FileBytesAfter = compressed.SerializedBytes,
            ParameterBytesBefore = ParameterBytes(original),
            ParameterBytesAfter = ParameterBytes(compressed),
            Samples = samples,
            InputsDescription = inputs.Description,
            Fidelity = accumulators.Values.Select(a => a.Result()).ToArray(),
            LatencyBackend = options.LatencyBackend,
            LatencyBefore = latencyBefore,
            LatencyAfter = latencyAfter,
            Warnings = warnings,
        };
    }

    /// <summary>Bytes of all initializers and Constant-node tensors.</summary>
    internal static long ParameterBytes(Model model) =>
        model.Graph.Initializers.Values.Sum(t => t.ByteCount)
        + model.Graph.Nodes.Where(n => n.OpType == "Constant").Sum(n => n.GetTensor("value")?.ByteCount ?? 0);

    /// <summary>Combines per-sample fidelity: worst max error and cosine, mean of the mean error and top-1 agreement.</summary>
    private sealed class FidelityAccumulator(string output)
    {
        private readonly List<FidelityReport> _samples = [];

        public void Add(FidelityReport report) => _samples.Add(report);

        public FidelityReport Result() => new()
        {
            Output = output,
            Backend = _samples[0].Backend,
            Reference = _samples[0].Reference,
            MaxAbsoluteError = _samples.Max(s => s.MaxAbsoluteError),
            MeanAbsoluteError = _samples.Average(s => s.MeanAbsoluteError),
            MaxRelativeError = _samples.Max(s => s.MaxRelativeError),
            CosineSimilarity = _samples.Min(s => s.CosineSimilarity),
            Top1Agreement = _samples.All(s => s.Top1Agreement is not null) ? _samples.Average(s => s.Top1Agreement!.Value) : null,
        };
    }
}
