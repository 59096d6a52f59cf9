using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Preprocessing;
using LightNet.Profiling;

namespace LightNet.Compression;

/// <summary>
/// The inputs a model is run on to calibrate activation ranges. Streamed: <see cref="Read"/> is enumerated once per
/// calibration pass and yields one sample at a time, so a set larger than memory works.
/// </summary>
public abstract class CalibrationData
{
    /// <summary>Image file extensions <see cref="FromImages"/> reads.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>A short description for reports and errors.</summary>
    public abstract string Description { get; }

    /// <summary>Number of samples per pass when known in advance, else null.</summary>
    public virtual int? Count => null;

    /// <summary>Samples skipped in the last pass (for example images that failed to decode), with the reason.</summary>
    public virtual IReadOnlyList<string> Skipped => [];

    /// <summary>Yields the samples: one tensor per model input, by name. Called once per calibration pass.</summary>
    /// <param name="model">The model being calibrated (its inputs decide names, types and shapes).</param>
    /// <param name="cancellationToken">Stops between samples.</param>
    /// <exception cref="LightNetException">A sample does not fit the model, or no sample can be produced.</exception>
    public abstract IEnumerable<IReadOnlyDictionary<string, TensorBuffer>> Read(Model model, CancellationToken cancellationToken = default);

    /// <summary>Every image in a folder (sorted by name), preprocessed for the model. Images that fail to decode are skipped and counted;
    /// when all fail the pass throws.</summary>
    /// <param name="folder">A folder with JPEG, PNG, BMP, GIF or WebP files.</param>
    /// <param name="preprocess">How to turn an image into the input tensor; null for <see cref="ImagePreprocessor.OptionsFor(Model)"/>.</param>
    /// <param name="maxImages">Read at most this many images; null for all.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the folder does not exist;
    /// <see cref="ErrorCode.InvalidArgument"/> when it holds no image file or <paramref name="maxImages"/> is below 1.</exception>
    public static CalibrationData FromImages(string folder, PreprocessOptions? preprocess = null, int? maxImages = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (string.IsNullOrWhiteSpace(folder))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The calibration folder is empty.");
        }

        if (!Directory.Exists(folder))
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Calibration folder '{folder}' does not exist.");
        }

        string[] files = Directory.EnumerateFiles(folder)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .ToArray();
        return FromImageFiles(files, preprocess, maxImages, $"calibration folder '{folder}'");
    }

    /// <summary>The given image files, preprocessed for the model; as <see cref="FromImages"/>.</summary>
    /// <param name="files">Image files.</param>
    /// <param name="preprocess">How to turn an image into the input tensor; null for <see cref="ImagePreprocessor.OptionsFor(Model)"/>.</param>
    /// <param name="maxImages">Read at most this many images; null for all.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the list is empty or <paramref name="maxImages"/> is below 1.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="files"/> is null.</exception>
    public static CalibrationData FromImageFiles(IEnumerable<string> files, PreprocessOptions? preprocess = null, int? maxImages = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        return FromImageFiles(files.ToArray(), preprocess, maxImages, "calibration image list");
    }

    private static ImageCalibrationData FromImageFiles(string[] files, PreprocessOptions? preprocess, int? maxImages, string description)
    {
        if (maxImages is < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"maxImages must be at least 1 (got {maxImages}).");
        }

        if (files.Length == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"The {description} holds no image ({string.Join(", ", ImageExtensions)}): calibration needs at least one sample.");
        }

        return new ImageCalibrationData(maxImages is int m ? files.Take(m).ToArray() : files, preprocess, description);
    }

    /// <summary>Tensors given by the caller, one dictionary per sample (enumerated lazily, once per pass).</summary>
    /// <param name="samples">The samples; each holds one tensor per model input.</param>
    /// <exception cref="ArgumentNullException"><paramref name="samples"/> is null.</exception>
    public static CalibrationData FromTensors(IEnumerable<IReadOnlyDictionary<string, TensorBuffer>> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return new TensorCalibrationData(samples);
    }

    /// <summary>Seeded random inputs in the value range of the model's preprocessing (zoo metadata <c>lightnet.preprocessing</c>),
    /// for models without real data at hand. Ranges from random data are only a rough stand-in for real ones.</summary>
    /// <param name="model">The model whose inputs are generated.</param>
    /// <param name="count">Number of samples, at least 1.</param>
    /// <param name="seed">Seed of the first sample.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a count below 1.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static CalibrationData Synthetic(Model model, int count, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (count < 1) throw new LightNetException(ErrorCode.InvalidArgument, $"The synthetic calibration count must be at least 1 (got {count}).");
        return new SyntheticCalibrationData(count, seed);
    }

    /// <summary>Checks that a sample feeds every input of the model with the right type.</summary>
    internal static void CheckSample(Model model, IReadOnlyDictionary<string, TensorBuffer> sample, int index)
    {
        foreach (ValueInfo input in model.Graph.Inputs)
        {
            if (!sample.TryGetValue(input.Name, out TensorBuffer? t))
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"Calibration sample {index} has no tensor for input '{input.Name}' (it has: {string.Join(", ", sample.Keys)}).");
            }

            if (t.ElementType != input.ElementType)
            {
                throw new LightNetException(ErrorCode.InvalidTensor,
                    $"Calibration sample {index} gives input '{input.Name}' as {t}, but the model takes {input.ElementType}.");
            }
        }
    }

    private sealed class TensorCalibrationData(IEnumerable<IReadOnlyDictionary<string, TensorBuffer>> samples) : CalibrationData
    {
        public override string Description => "calibration tensors";

        public override int? Count => samples is IReadOnlyCollection<IReadOnlyDictionary<string, TensorBuffer>> c ? c.Count : null;

        public override IEnumerable<IReadOnlyDictionary<string, TensorBuffer>> Read(Model model, CancellationToken cancellationToken = default)
        {
            foreach (IReadOnlyDictionary<string, TensorBuffer> sample in samples)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return sample;
            }
        }
    }

    private sealed class SyntheticCalibrationData(int count, int seed) : CalibrationData
    {
        public override string Description => $"{count} synthetic samples (seed {seed})";

        public override int? Count => count;

        public override IEnumerable<IReadOnlyDictionary<string, TensorBuffer>> Read(Model model, CancellationToken cancellationToken = default)
        {
            for (int i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var options = new ProfileOptions { InputFill = InputFill.Random, Seed = seed + i * 7919 };
                yield return MeasurementInputs.Create(model, options, out _, []);
            }
        }
    }

    private sealed class ImageCalibrationData(string[] files, PreprocessOptions? preprocess, string description) : CalibrationData
    {
        private List<string> _skipped = [];

        public override string Description => $"{files.Length} images from the {description}";

        public override int? Count => files.Length;

        public override IReadOnlyList<string> Skipped => _skipped;

        public override IEnumerable<IReadOnlyDictionary<string, TensorBuffer>> Read(Model model, CancellationToken cancellationToken = default)
        {
            var preprocessor = new ImagePreprocessor(preprocess ?? ImagePreprocessor.OptionsFor(model));
            ValueInfo input = model.Graph.Inputs.FirstOrDefault(i => i.Shape is { Count: 4 } s && (s[1].Value == 3 || s[3].Value == 3))
                ?? throw new LightNetException(ErrorCode.InvalidArgument,
                    $"Image calibration needs a model with one image input of rank 4 and 3 channels (inputs: {string.Join(", ", model.Graph.Inputs)}).");
            var skipped = new List<string>();
            _skipped = skipped;
            int produced = 0;
            foreach (string file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                TensorBuffer tensor;
                try
                {
                    tensor = preprocessor.Process(file);
                }
                catch (LightNetException e) when (e.Code is ErrorCode.InvalidImage or ErrorCode.IOFailure)
                {
                    skipped.Add($"{Path.GetFileName(file)}: {e.Message}");
                    continue;
                }

                produced++;
                yield return new Dictionary<string, TensorBuffer>(StringComparer.Ordinal) { [input.Name] = tensor };
            }

            if (produced == 0)
            {
                throw new LightNetException(ErrorCode.InvalidImage,
                    $"None of the {files.Length} images of the {description} could be decoded ({skipped[0]}).");
            }
        }
    }
}
