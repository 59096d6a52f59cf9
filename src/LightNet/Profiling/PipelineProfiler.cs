using System.Diagnostics;
using System.Runtime.InteropServices;
using LightNet.Analysis;
using LightNet.Backends;
using LightNet.Backends.OnnxRuntime;
using LightNet.Onnx;
using LightNet.Postprocessing;
using LightNet.Preprocessing;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace LightNet.Profiling;

/// <summary>
/// Times the whole classification of one photo, stage by stage: decode, preprocess, inference, postprocess. The entry
/// point is <c>Profiler.MeasurePipeline</c>.
/// </summary>
internal static class PipelineProfiler
{
    private const int TopClasses = 5;

    /// <summary>Reads an image file once (at most the preprocessor's size limit) and measures the pipeline on its bytes.</summary>
    public static PipelineReport Measure(Model model, Backend backend, string imagePath, ImagePreprocessor? preprocessor,
        ProfileOptions? options, IProgress<ProfileProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        if (string.IsNullOrWhiteSpace(imagePath))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "Image path is empty.");
        }

        CheckModelAndBackend(model, backend);
        preprocessor ??= ImagePreprocessor.For(model);
        byte[] bytes = ReadImage(imagePath, preprocessor.Options.Limits);
        return Measure(model, backend, bytes, Path.GetFileName(imagePath), preprocessor, options, progress, ct);
    }

    /// <summary>Measures the pipeline on an encoded image held in memory.</summary>
    public static PipelineReport Measure(Model model, Backend backend, byte[] imageBytes, string? imageName, ImagePreprocessor? preprocessor,
        ProfileOptions? options, IProgress<ProfileProgress>? progress, CancellationToken ct)
    {
        CheckModelAndBackend(model, backend);
        ArgumentNullException.ThrowIfNull(imageBytes);

        options ??= ProfileOptions.Default;
        options.ThrowIfInvalid();
        if (options.BatchSize != 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"A pipeline measurement classifies one photo at a time; batch size must be 1, not {options.BatchSize}.");
        }

        Profiler.RequireAvailable(backend);
        preprocessor ??= ImagePreprocessor.For(model);
        string name = string.IsNullOrWhiteSpace(imageName) ? "image" : imageName;

        // Decode once up front: a bad image fails fast (InvalidImage naming it), before the model is loaded.
        int width, height;
        using (Image<Rgb24> probe = preprocessor.Decode(imageBytes, name))
        {
            width = probe.Width;
            height = probe.Height;
        }

        var warnings = new List<string>();
        string modelName = Profiler.ModelName(model);
        ILogger logger = Logging.For(options.LoggerFactory, typeof(Profiler).FullName!);
        logger.LogInformation("Profiling the pipeline of {Model} on {Backend} with {Image} ({Width}x{Height})", modelName, backend.Name, name, width, height);

        progress?.Report(new ProfileProgress(ProfilePhase.Loading, 0, 1, TimeSpan.Zero));
        long t0 = Stopwatch.GetTimestamp();
        // The classifier checks that the model has one input matching the preprocessor and finds the score output.
        using var classifier = new Classifier(model, backend, preprocessor, inferenceOptions: SessionOptions(model, preprocessor, options));
        double loadMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        ct.ThrowIfCancellationRequested();

        // The model summary for the shape the preprocessor feeds (the inputs made here only resolve shapes).
        ProfileOptions shapeOptions = options with
        {
            InputFill = InputFill.Zeros,
            Inputs = null,
            InputShapes = new Dictionary<string, long[]>(StringComparer.Ordinal) { [classifier.InputName] = preprocessor.TensorShape(1) },
        };
        Dictionary<string, TensorBuffer> shapes = MeasurementInputs.Create(model, shapeOptions, out ModelInfo? info, warnings);

        TensorBuffer input = preprocessor.CreateBuffer();
        using IPreparedRun run = classifier.Session.Prepare(new Dictionary<string, TensorBuffer>(StringComparer.Ordinal) { [classifier.InputName] = input });
        var pass = new Pass(preprocessor, imageBytes, name, input, run, run.Outputs[classifier.OutputName]);

        pass.Run();
        double firstRunMs = pass.Total;
        var sampler = new MeasurementSampler(options, progress, ct);
        WarmupSummary warmup = sampler.WarmUp(pass.Run, backend);
        var samples = new Samples(Math.Max(options.Runs, 256));
        LoopResult loop = sampler.Loop(pass.Run, (_, _) => samples.Add(pass));

        LatencyStatistics total = LatencyStatistics.FromSamples(CollectionsMarshal.AsSpan(samples.Total));
        Profiler.Warn(total, options, loop.CutByMaxTime, warnings, warmup, Profiler.FindChangePoint(samples.Total, options), loop.CpuSteal);
        logger.LogInformation("{Model} pipeline on {Backend}: median {Median:F3} ms over {Runs} runs", modelName, backend.Name, total.Median, total.Count);
        progress?.Report(new ProfileProgress(ProfilePhase.Completed, samples.Count, samples.Count, TimeSpan.Zero));

        return new PipelineReport
        {
            CreatedUtc = DateTimeOffset.UtcNow,
            Environment = EnvironmentInfo.Capture() with { OnnxRuntimeVersion = OrtBackend.RuntimeVersion },
            Model = Profiler.Summarize(model, modelName, info, shapes),
            Backend = Profiler.Summarize(backend, classifier.Session.EffectiveSettings),
            Settings = MeasurementSettings.From(options, warmup.Runs, samples.Count, batchSize: 1, inputFill: "Image", classifier.Session.EffectiveSettings),
            Warmup = warmup,
            Image = name,
            ImageBytes = imageBytes.LongLength,
            ImageWidth = width,
            ImageHeight = height,
            Preprocessing = preprocessor.ToString(),
            LoadMs = loadMs,
            FirstRunMs = firstRunMs,
            DecodeMs = Summary(samples.Decode),
            PreprocessMs = Summary(samples.Preprocess),
            InferenceMs = Summary(samples.Inference),
            PostprocessMs = Summary(samples.Postprocess),
            TotalMs = LatencySummary.From(total),
            ThroughputPerSecond = total.Mean > 0 ? 1000.0 / total.Mean : 0,
            TopClasses = pass.Top,
            Warnings = warnings,
        };

        static LatencySummary Summary(List<double> stage) => LatencySummary.From(LatencyStatistics.FromSamples(CollectionsMarshal.AsSpan(stage)));
    }

    private static void CheckModelAndBackend(Model model, Backend backend)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backend);
    }

    private static byte[] ReadImage(string path, ImageLimits limits)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (stream.Length > limits.MaxEncodedBytes)
            {
                throw new LightNetException(ErrorCode.InvalidImage,
                    $"Image file '{path}' is {stream.Length} bytes, more than the limit of {limits.MaxEncodedBytes} bytes.");
            }

            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read image file '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Threads and the symbolic dimensions that the preprocessor's tensor fixes for the model's one input. When the shapes do
    /// not fit, none are given, and the classifier reports the mismatch in its own words.
    /// </summary>
    private static InferenceOptions SessionOptions(Model model, ImagePreprocessor preprocessor, ProfileOptions options)
    {
        var realInputs = model.Graph.Inputs.Where(i => !model.Graph.Initializers.ContainsKey(i.Name)).ToArray();
        if (realInputs.Length != 1)
        {
            return options.ToInferenceOptions();
        }

        try
        {
            long[] shape = preprocessor.TensorShape(1);
            return options.ToInferenceOptions(MeasurementInputs.DimensionValues(model, name => name == realInputs[0].Name ? shape : null));
        }
        catch (LightNetException e) when (e.Code == ErrorCode.InvalidShape)
        {
            return options.ToInferenceOptions();
        }
    }

    /// <summary>One full pass with a Stopwatch timestamp between stages; holds the reused buffers.</summary>
    private sealed class Pass(ImagePreprocessor preprocessor, byte[] bytes, string name, TensorBuffer input, IPreparedRun run, TensorBuffer output)
    {
        private readonly float[] _scores = new float[checked((int)output.ElementCount)];

        public double Decode { get; private set; }

        public double Preprocess { get; private set; }

        public double Inference { get; private set; }

        public double Postprocess { get; private set; }

        /// <summary>The sum of the four stages, which is the time from t0 to t4 up to timestamp rounding.</summary>
        public double Total { get; private set; }

        public IReadOnlyList<Classification> Top { get; private set; } = [];

        public void Run()
        {
            long t0 = Stopwatch.GetTimestamp();
            Image<Rgb24> image = preprocessor.Decode(bytes, name);
            long t1 = Stopwatch.GetTimestamp();
            try
            {
                preprocessor.ProcessInto(image, input);
            }
            finally
            {
                image.Dispose();
            }

            long t2 = Stopwatch.GetTimestamp();
            run.Run();
            long t3 = Stopwatch.GetTimestamp();
            if (output.ElementType == TensorElementType.Float)
            {
                output.AsSpan<float>().CopyTo(_scores);
            }
            else
            {
                output.ToFloatArray().CopyTo(_scores, 0);
            }

            if (!Softmax.IsDistribution(_scores))
            {
                Softmax.Compute(_scores, _scores);
            }

            Top = TopK.Classify(_scores, TopClasses);
            long t4 = Stopwatch.GetTimestamp();

            Decode = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            Preprocess = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
            Inference = Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
            Postprocess = Stopwatch.GetElapsedTime(t3, t4).TotalMilliseconds;
            Total = Decode + Preprocess + Inference + Postprocess;
        }
    }

    private sealed class Samples(int capacity)
    {
        public List<double> Decode { get; } = new(capacity);

        public List<double> Preprocess { get; } = new(capacity);

        public List<double> Inference { get; } = new(capacity);

        public List<double> Postprocess { get; } = new(capacity);

        public List<double> Total { get; } = new(capacity);

        public int Count => Total.Count;

        public void Add(Pass pass)
        {
            Decode.Add(pass.Decode);
            Preprocess.Add(pass.Preprocess);
            Inference.Add(pass.Inference);
            Postprocess.Add(pass.Postprocess);
            Total.Add(pass.Total);
        }
    }
}
