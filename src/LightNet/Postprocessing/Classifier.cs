using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Preprocessing;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace LightNet.Postprocessing;

/// <summary>
/// An image classifier in one object: a model loaded into a backend, the preprocessor its inputs need and the class
/// labels; <c>Classify(photo)</c> returns the top-k classes. Thread-safe; dispose it to free the session.
/// </summary>
public sealed class Classifier : IDisposable
{
    private readonly bool? _applySoftmax;
    private readonly Stack<Lane> _lanes = new();
    private string[]? _labelNames;
    private int _disposed;

    /// <summary>Loads <paramref name="model"/> into <paramref name="backend"/> and prepares to classify.</summary>
    /// <param name="model">A classifier with one image input and a per-class score output.</param>
    /// <param name="backend">Where to run it; null for "ort-cpu".</param>
    /// <param name="preprocessor">How to feed it; null for <see cref="ImagePreprocessor.For(Model)"/>.</param>
    /// <param name="labels">Class names; null for ImageNet-1k when the model has 1000 (or 1001) classes, "class N" otherwise.</param>
    /// <param name="applySoftmax">True to turn scores into probabilities, false to keep them, null to apply softmax unless the
    /// output already is a probability distribution.</param>
    /// <param name="inferenceOptions">Session options (and the <see cref="InferenceOptions.LoggerFactory"/> the classifier logs to); null for the defaults.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the model does not have exactly one input or
    /// its input does not match the preprocessor; the backend's errors from <see cref="Backend.CreateSession"/>.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public Classifier(Model model, Backend? backend = null, ImagePreprocessor? preprocessor = null, IReadOnlyList<string>? labels = null,
        bool? applySoftmax = null, InferenceOptions? inferenceOptions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Preprocessor = preprocessor ?? ImagePreprocessor.For(model);
        backend ??= Backend.Parse("ort-cpu");
        Session = backend.CreateSession(model, inferenceOptions);
        try
        {
            if (Session.Inputs.Count != 1 || Session.Outputs.Count < 1)
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"A classifier needs a model with one input and at least one output; this one has inputs [{string.Join(", ", Session.Inputs)}] and outputs [{string.Join(", ", Session.Outputs)}].");
            }

            TensorSpec input = Session.Inputs[0];
            long[] expected = Preprocessor.TensorShape(1);
            if (input.ElementType != Preprocessor.Options.ElementType)
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"Model input '{input.Name}' takes {input.ElementType}, but the preprocessor writes {Preprocessor.Options.ElementType}.");
            }

            bool shapeFits = input.Shape.Count == 4
                && Enumerable.Range(1, 3).All(i => !input.Shape[i].IsFixed || input.Shape[i].Value == expected[i])
                && (!input.Shape[0].IsFixed || input.Shape[0].Value == 1);
            if (!shapeFits)
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"Model input '{input.Name}' has shape {Dimension.Format(input.Shape)}, but the preprocessor writes {Dimension.Format(expected)}.");
            }

            InputName = input.Name;
            OutputName = Session.Outputs[0].Name;
            IReadOnlyList<Dimension> outputShape = Session.Outputs[0].Shape;
            if (labels is not null && outputShape.All(d => d.IsFixed))
            {
                long classes = outputShape.Aggregate(1L, (p, d) => p * d.Value!.Value);
                if (classes != labels.Count)
                {
                    throw new LightNetException(ErrorCode.InvalidArgument,
                        $"{labels.Count} labels were given, but output '{OutputName}' {Dimension.Format(outputShape)} holds {classes} classes.");
                }
            }

            Labels = labels;
            _applySoftmax = applySoftmax;
            Logging.For(inferenceOptions?.LoggerFactory, typeof(Classifier).FullName!).LogDebug(
                "Classifier of {Model} on {Backend}: input {Input} {Shape}, scores from {Output}", model.SourcePath ?? model.Graph.Name, backend.Name,
                InputName, Dimension.Format(input.Shape), OutputName);
        }
        catch
        {
            Session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A classifier for a folder written by <c>lightnet recommend --emit</c>: the model checked against the manifest's SHA-256 (see
    /// <see cref="Model.LoadFromManifest"/>), on the backend and with the threads and preprocessing the study measured it with.
    /// </summary>
    /// <param name="path">The emitted folder or its <c>manifest.json</c>.</param>
    /// <param name="backend">A backend to use instead of the manifest's; null for the manifest's.</param>
    /// <param name="labels">Class names; null as for the constructor.</param>
    /// <returns>The classifier.</returns>
    /// <exception cref="LightNetException">The errors of <see cref="Model.LoadFromManifest"/> (<see cref="ErrorCode.ChecksumMismatch"/> for a
    /// changed model file), <see cref="Backend.Parse"/> and the constructor.</exception>
    public static Classifier FromManifest(string path, Backend? backend = null, IReadOnlyList<string>? labels = null)
    {
        Deployment.DeploymentManifest manifest = Deployment.DeploymentManifest.Read(path);
        Model model = Model.LoadFromManifest(path);
        return new Classifier(model, backend ?? Backend.Parse(manifest.Backend), new ImagePreprocessor(manifest.Preprocessing), labels,
            inferenceOptions: manifest.InferenceOptions());
    }

    /// <summary>The preprocessor in use.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>The backend session (owned by the classifier).</summary>
    public IInferenceSession Session { get; }

    /// <summary>The model input that receives the image.</summary>
    public string InputName { get; }

    /// <summary>The model output read as class scores.</summary>
    public string OutputName { get; }

    /// <summary>The labels given to the constructor, or null when defaults are used.</summary>
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>Decodes, preprocesses and classifies an image file.</summary>
    /// <param name="path">Path of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <param name="k">How many classes to return, most probable first.</param>
    /// <exception cref="LightNetException">The errors of <see cref="ImagePreprocessor.Process(string)"/> and of the session.</exception>
    public IReadOnlyList<Classification> Classify(string path, int k = 5) => Classify(Preprocessor.Process(path), k);

    /// <summary>Decodes, preprocesses and classifies an image read from a stream (not closed).</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="k">How many classes to return, most probable first.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <exception cref="LightNetException">The errors of <see cref="ImagePreprocessor.Process(Stream, string?)"/> and of the session.</exception>
    public IReadOnlyList<Classification> Classify(Stream stream, int k = 5, string? sourceName = null) =>
        Classify(Preprocessor.Process(stream, sourceName), k);

    /// <summary>Decodes, preprocesses and classifies an encoded image.</summary>
    /// <param name="encoded">The bytes of a JPEG, PNG, BMP, GIF or WebP file.</param>
    /// <param name="k">How many classes to return, most probable first.</param>
    /// <exception cref="LightNetException">The errors of <see cref="ImagePreprocessor.Process(byte[], string?)"/> and of the session.</exception>
    public IReadOnlyList<Classification> Classify(byte[] encoded, int k = 5) => Classify(Preprocessor.Process(encoded), k);

    /// <summary>Preprocesses and classifies a decoded image.</summary>
    /// <param name="image">The image; not modified.</param>
    /// <param name="k">How many classes to return, most probable first.</param>
    /// <exception cref="LightNetException">The errors of <see cref="ImagePreprocessor.Process(Image{Rgb24})"/> and of the session.</exception>
    public IReadOnlyList<Classification> Classify(Image<Rgb24> image, int k = 5) => Classify(Preprocessor.Process(image), k);

    /// <summary>Preprocesses and classifies raw pixels (a camera frame).</summary>
    /// <param name="frame">The pixels.</param>
    /// <param name="k">How many classes to return, most probable first.</param>
    /// <exception cref="LightNetException">The errors of <see cref="ImagePreprocessor.Process(RawImage)"/> and of the session.</exception>
    public IReadOnlyList<Classification> Classify(RawImage frame, int k = 5)
    {
        Span<(int Index, float Probability)> top = stackalloc (int, float)[CheckK(k)];
        return ToClassifications(top[..ClassifyInto(frame, top)]);
    }

    /// <summary>Preprocesses and classifies a 4:2:0 camera frame (NV12, NV21, I420, YUV_420_888).</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="k">How many classes to return, most probable first.</param>
    /// <exception cref="LightNetException">The errors of <see cref="YuvPreprocessing.ProcessInto"/> and of the session.</exception>
    public IReadOnlyList<Classification> Classify(in YuvFrame frame, int k = 5)
    {
        Span<(int Index, float Probability)> top = stackalloc (int, float)[CheckK(k)];
        return ToClassifications(top[..ClassifyInto(frame, top)]);
    }

    /// <summary>
    /// Classifies a camera frame into <paramref name="top"/> (the <c>top.Length</c> most probable classes, most probable
    /// first) and allocates nothing once warm: each thread reuses a preprocessed input tensor and a prepared run
    /// (<see cref="IInferenceSession.Prepare"/>) of its own. Name the classes with <see cref="LabelOf"/>.
    /// </summary>
    /// <param name="frame">The pixels.</param>
    /// <param name="top">Receives class index and probability; its length is k.</param>
    /// <returns>How many entries were written: <c>top.Length</c>, or fewer when the model has fewer classes.</returns>
    /// <exception cref="LightNetException">The errors of <see cref="ImagePreprocessor.ProcessInto(RawImage, TensorBuffer, int)"/> and of the session.</exception>
    public int ClassifyInto(RawImage frame, Span<(int Index, float Probability)> top) =>
        ClassifyFrame(frame, top, static (ImagePreprocessor p, in RawImage f, TensorBuffer input) => p.ProcessInto(f, input));

    /// <summary>As <see cref="ClassifyInto(RawImage, Span{ValueTuple{int, float}})"/>, for a 4:2:0 camera frame.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="top">Receives class index and probability; its length is k.</param>
    /// <returns>How many entries were written.</returns>
    /// <exception cref="LightNetException">The errors of <see cref="YuvPreprocessing.ProcessInto"/> and of the session.</exception>
    public int ClassifyInto(in YuvFrame frame, Span<(int Index, float Probability)> top) =>
        ClassifyFrame(frame, top, static (ImagePreprocessor p, in YuvFrame f, TensorBuffer input) => p.ProcessInto(f, input));

    /// <summary>The label of class <paramref name="index"/> (the labels given, ImageNet's, or "class N"); allocates nothing.</summary>
    /// <param name="index">A class index from <see cref="ClassifyInto(RawImage, Span{ValueTuple{int, float}})"/>.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an index outside the classes; <see cref="ErrorCode.InvalidOperation"/>
    /// before the first classification of a model whose class count is not fixed.</exception>
    public string LabelOf(int index)
    {
        string[] names = _labelNames ?? throw new LightNetException(ErrorCode.InvalidOperation,
            $"Output '{OutputName}' has no fixed class count yet: classify one frame before asking for labels.");
        return (uint)index < (uint)names.Length ? names[index]
            : throw new LightNetException(ErrorCode.InvalidArgument, $"Class {index} is outside the {names.Length} classes of output '{OutputName}'.");
    }

    /// <summary>Classifies an already preprocessed [1, ...] tensor.</summary>
    /// <param name="input">The model input.</param>
    /// <param name="k">How many classes to return, most probable first.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for k &lt; 1 or when the model returns another number of
    /// scores than there are labels; the session's errors.</exception>
    public IReadOnlyList<Classification> Classify(TensorBuffer input, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (k < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"Top-k needs k of at least 1, not {k}.");
        }

        return TopK.Classify(Probabilities(input), k, Labels);
    }

    /// <summary>Runs the model on a preprocessed [1, ...] tensor and returns one probability per class.</summary>
    /// <param name="input">The model input.</param>
    /// <exception cref="LightNetException">The session's errors.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The classifier has been disposed.</exception>
    public float[] Probabilities(TensorBuffer input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(Classifier), "The classifier has been disposed.");
        }

        IReadOnlyDictionary<string, TensorBuffer> outputs = Session.Run(new Dictionary<string, TensorBuffer>(StringComparer.Ordinal) { [InputName] = input });
        float[] scores = outputs[OutputName].ToFloatArray();
        bool softmax = _applySoftmax ?? !Softmax.IsDistribution(scores);
        if (softmax)
        {
            Softmax.Compute(scores, scores);
        }

        return scores;
    }

    private static int CheckK(int k) => k >= 1 ? Math.Min(k, 1024)
        : throw new LightNetException(ErrorCode.InvalidArgument, $"Top-k needs k of at least 1, not {k}.");

    private IReadOnlyList<Classification> ToClassifications(ReadOnlySpan<(int Index, float Probability)> top)
    {
        var result = new Classification[top.Length];
        for (int i = 0; i < top.Length; i++)
        {
            result[i] = new Classification(top[i].Index, LabelOf(top[i].Index), top[i].Probability);
        }

        return result;
    }

    /// <summary>A lane of its own for this call: the input tensor and the prepared run bound to it.</summary>
    private Lane Rent()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(Classifier), "The classifier has been disposed.");
        }

        lock (_lanes)
        {
            if (_lanes.TryPop(out Lane? lane))
            {
                return lane;
            }
        }

        TensorBuffer input = Preprocessor.CreateBuffer();
        IPreparedRun run = Session.Prepare(new Dictionary<string, TensorBuffer>(StringComparer.Ordinal) { [InputName] = input });
        TensorBuffer output = run.Outputs[OutputName];
        int classes = (int)output.ElementCount;
        _labelNames ??= Enumerable.Range(0, classes).Select(TopK.LabelFunction(classes, Labels)).ToArray();
        return new Lane(input, run, output, new float[classes]);
    }

    private void Return(Lane lane)
    {
        lock (_lanes)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                _lanes.Push(lane);
                return;
            }
        }

        lane.Run.Dispose();
    }

    private int Finish(Lane lane, Span<(int Index, float Probability)> top)
    {
        lane.Run.Run();
        Span<float> scores = lane.Scores;
        if (lane.Output.ElementType == TensorElementType.Float16)
        {
            ReadOnlySpan<Half> half = lane.Output.AsSpan<Half>();
            for (int i = 0; i < scores.Length; i++) scores[i] = (float)half[i];
        }
        else
        {
            lane.Output.AsSpan<float>().CopyTo(scores);
        }

        if (_applySoftmax ?? !Softmax.IsDistribution(scores))
        {
            Softmax.Compute(scores, scores);
        }

        return TopK.SelectInto(scores, top);
    }

    /// <summary>Writes a frame of some kind into a preprocessed input tensor.</summary>
    private delegate void FrameWriter<TFrame>(ImagePreprocessor preprocessor, in TFrame frame, TensorBuffer input);

    /// <summary>Preprocesses <paramref name="frame"/> into a lane's input, runs it and writes the top classes (static writers: no allocation).</summary>
    private int ClassifyFrame<TFrame>(in TFrame frame, Span<(int Index, float Probability)> top, FrameWriter<TFrame> write)
    {
        Lane lane = Rent();
        try
        {
            write(Preprocessor, frame, lane.Input);
            return Finish(lane, top);
        }
        finally
        {
            Return(lane);
        }
    }

    private sealed record Lane(TensorBuffer Input, IPreparedRun Run, TensorBuffer Output, float[] Scores);

    /// <summary>Frees the session.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            lock (_lanes)
            {
                while (_lanes.TryPop(out Lane? lane))
                {
                    lane.Run.Dispose();
                }
            }

            Session.Dispose();
        }
    }
}
