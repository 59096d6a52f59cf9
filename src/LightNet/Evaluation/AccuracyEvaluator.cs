using System.Diagnostics;
using LightNet.Backends;
using LightNet.Postprocessing;
using LightNet.Preprocessing;

namespace LightNet.Evaluation;

/// <summary>How <see cref="AccuracyEvaluator.Evaluate"/> runs the model.</summary>
public sealed record AccuracyOptions
{
    /// <summary>Default options: ort-cpu with its default session options, the model's own preprocessing.</summary>
    public static AccuracyOptions Default { get; } = new();

    /// <summary>The backend that runs the model; null for "ort-cpu".</summary>
    public Backend? Backend { get; init; }

    /// <summary>Session options; null for the defaults.</summary>
    public InferenceOptions? Inference { get; init; }

    /// <summary>How each image becomes the model's input; null for <see cref="ImagePreprocessor.For(Model)"/>.</summary>
    public ImagePreprocessor? Preprocessor { get; init; }

    /// <summary>How many images that cannot be read are tolerated (each is left out and named in the result) before the evaluation
    /// fails; default 0: the first unreadable image fails it.</summary>
    public int MaxUnreadableImages { get; init; }
}

/// <summary>Progress of an evaluation.</summary>
/// <param name="Done">Images evaluated.</param>
/// <param name="Total">Images in the set.</param>
/// <param name="Top1Correct">Images whose label was ranked first so far.</param>
/// <param name="Elapsed">Time since the evaluation started.</param>
public readonly record struct AccuracyProgress(int Done, int Total, int Top1Correct, TimeSpan Elapsed);

/// <summary>Top-1 and top-5 accuracy of a model on a labelled set.</summary>
public sealed record AccuracyResult
{
    /// <summary>The folder or CSV file evaluated.</summary>
    public string Source { get; init; } = "";

    /// <summary>Images evaluated (those that could not be read are not counted).</summary>
    public int Images { get; init; }

    /// <summary>Distinct labels among the images.</summary>
    public int Classes { get; init; }

    /// <summary>Images whose label the model ranked first.</summary>
    public int Top1Correct { get; init; }

    /// <summary>Images whose label the model ranked among its first five (among all when it has fewer than five classes).</summary>
    public int Top5Correct { get; init; }

    /// <summary>Top-1 accuracy in percent.</summary>
    public double Top1Percent => Images == 0 ? double.NaN : 100.0 * Top1Correct / Images;

    /// <summary>Top-5 accuracy in percent.</summary>
    public double Top5Percent => Images == 0 ? double.NaN : 100.0 * Top5Correct / Images;

    /// <summary>The images that could not be read, with the reason (at most <see cref="AccuracyOptions.MaxUnreadableImages"/>).</summary>
    public IReadOnlyList<string> Unreadable { get; init; } = [];

    /// <summary>The backend that ran the model.</summary>
    public string Backend { get; init; } = "";

    /// <summary>Wall-clock seconds of the evaluation.</summary>
    public double Seconds { get; init; }
}

/// <summary>
/// Measures a classifier's top-1 and top-5 accuracy on a labelled image set, as MLPerf's accuracy mode does: every image preprocessed as
/// the model expects, run once, and its label looked up among the model's highest scores.
/// </summary>
/// <example>
/// <code>
/// AccuracyResult r = AccuracyEvaluator.Evaluate(Model.Load("mobilenetv2-7.onnx"), LabelledImageSet.Load("imagenet/val"));
/// </code>
/// </example>
public static class AccuracyEvaluator
{
    /// <summary>Evaluates <paramref name="model"/> on <paramref name="set"/>.</summary>
    /// <param name="model">A classifier with one image input and a [1, classes] score output.</param>
    /// <param name="set">The labelled images.</param>
    /// <param name="options">Backend, session options and preprocessing; null for <see cref="AccuracyOptions.Default"/>.</param>
    /// <param name="progress">Receives a report after each image; may be null.</param>
    /// <param name="cancellationToken">Stops between two images.</param>
    /// <returns>The counts and percentages.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a model without one image input,
    /// or a label the model has no output for (naming the image); <see cref="ErrorCode.InvalidImage"/> or <see cref="ErrorCode.IOFailure"/>
    /// naming the image when more images cannot be read than tolerated; the backend's errors.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static AccuracyResult Evaluate(Model model, LabelledImageSet set, AccuracyOptions? options = null, IProgress<AccuracyProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);

        options ??= AccuracyOptions.Default;
        if (options.MaxUnreadableImages < 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"MaxUnreadableImages must not be negative, not {options.MaxUnreadableImages}.");
        }

        Backend backend = options.Backend ?? Backend.Parse("ort-cpu");
        ImagePreprocessor preprocessor = options.Preprocessor ?? ImagePreprocessor.For(model);
        using IInferenceSession session = backend.CreateSession(model, options.Inference);
        if (session.Inputs.Count != 1 || session.Outputs.Count < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Accuracy needs a classifier with one input and a score output; this model has inputs [{string.Join(", ", session.Inputs)}] and outputs [{string.Join(", ", session.Outputs)}].");
        }

        string input = session.Inputs[0].Name, output = session.Outputs[0].Name;
        long start = Stopwatch.GetTimestamp();
        int done = 0, top1 = 0, top5 = 0;
        var unreadable = new List<string>();
        foreach (LabelledImage image in set.Images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TensorBuffer tensor;
            try
            {
                tensor = preprocessor.Process(image.Path);
            }
            catch (LightNetException e) when (e.Code is ErrorCode.InvalidImage or ErrorCode.IOFailure && unreadable.Count < options.MaxUnreadableImages)
            {
                unreadable.Add(e.Message);
                continue;
            }

            float[] scores = session.Run(new Dictionary<string, TensorBuffer>(StringComparer.Ordinal) { [input] = tensor })[output].ToFloatArray();
            if (image.Label >= scores.Length)
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"'{image.Path}' is labelled class {image.Label}, but the model's output '{output}' has only {scores.Length} classes.");
            }

            IReadOnlyList<(int Index, float Score)> ranked = TopK.Select(scores, Math.Min(5, scores.Length));
            if (ranked[0].Index == image.Label) top1++;
            if (ranked.Any(r => r.Index == image.Label)) top5++;
            done++;
            progress?.Report(new AccuracyProgress(done + unreadable.Count, set.Images.Count, top1, Stopwatch.GetElapsedTime(start)));
        }

        return new AccuracyResult
        {
            Source = set.Source,
            Images = done,
            Classes = set.Classes,
            Top1Correct = top1,
            Top5Correct = top5,
            Unreadable = unreadable,
            Backend = backend.Name,
            Seconds = Stopwatch.GetElapsedTime(start).TotalSeconds,
        };
    }
}
