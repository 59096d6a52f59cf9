using System.Security.Cryptography;
using LightNet.Backends;
using LightNet.Deployment;
using LightNet.Preprocessing;

namespace LightNet.Study;

/// <summary>
/// Writes the model a study picked into a folder for the device (<c>lightnet recommend --emit DIR</c>): the FP32, FP16 or INT8 file byte
/// for byte as measured, and a <see cref="DeploymentManifest"/> with its SHA-256, backend, preprocessing and measured numbers. The file is
/// the one the study kept (<c>--keep-models</c>), checked against its recorded SHA-256, or else the variant made again and checked.
/// </summary>
/// <example>
/// <code>
/// Recommendation r = ModelSelector.Recommend(results, new SelectionConstraints { MaxLatencyMs = 10 });
/// ModelEmitter.Emit(results, r.Best!, "deploy", modelsFolder: "report/models");
/// using Classifier c = Classifier.FromManifest("deploy");   // on the device
/// </code>
/// </example>
public static class ModelEmitter
{
    /// <summary>Writes the chosen candidate's model file and manifest into <paramref name="folder"/>.</summary>
    /// <param name="results">The study (one device's results).</param>
    /// <param name="choice">The candidate to ship (usually <see cref="Recommendation.Best"/>).</param>
    /// <param name="folder">The output folder (created when missing).</param>
    /// <param name="modelsFolder">Where the study kept its variant files; null or missing to make the variant again.</param>
    /// <param name="pretrainedCache">The download cache of pretrained files, for a study made with them; null for the default.</param>
    /// <param name="cancellationToken">Stops a calibration.</param>
    /// <returns>The manifest written.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the candidate is not a measured cell of the results;
    /// <see cref="ErrorCode.ChecksumMismatch"/> when the kept file or the variant made again is not the one measured;
    /// <see cref="ErrorCode.IOFailure"/> naming a file that cannot be written.</exception>
    public static DeploymentManifest Emit(StudyResults results, Candidate choice, string folder, string? modelsFolder = null,
        string? pretrainedCache = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(choice);
        StudyCell cell = results.Cell(choice.Model, choice.Backend, choice.Precision) is { Report: not null, Error: null } c ? c
            : throw new LightNetException(ErrorCode.InvalidArgument, $"{choice} is not a measured cell of the study.");
        StudyModel model = results.Models.First(m => m.Name == choice.Model);
        StudyVariant variant = model.Variant(choice.Precision)!;
        byte[] bytes = Kept(variant, modelsFolder) ?? StudyRunner.RecreateVariant(results, choice.Model, choice.Precision, pretrainedCache, cancellationToken).Bytes;
        StudyReport.EnsureWritable(folder);

        string file = StudyRunner.VariantFileName(choice.Model, choice.Precision);
        AtomicFile.Write(Path.Combine(folder, file), stream => stream.Write(bytes));
        PreprocessOptions preprocessing = ImagePreprocessor.OptionsFor(Model.Load(bytes, sourceName: file));
        var report = cell.Report!;
        var manifest = new DeploymentManifest
        {
            CreatedUtc = DateTimeOffset.UtcNow,
            Model = choice.Model,
            Precision = StudyRunner.Label(choice.Precision),
            ModelFile = file,
            Sha256 = variant.Sha256!,
            FileBytes = bytes.Length,
            Backend = choice.Backend,
            Threads = results.Settings.Threads,
            BackendOptions = report.Backend.Options,
            Preprocessing = preprocessing,
            Device = $"{results.Environment.CpuModel}, {results.Environment.LogicalCores} logical cores, {results.Environment.OperatingSystem}",
            ExpectedLatencyMs = report.LatencyMs.Median,
            LatencyP90Ms = report.LatencyMs.P90,
            LoadMs = report.LoadMs,
            FirstRunMs = report.FirstRunMs,
            ExpectedPeakMemoryBytes = report.Memory.PeakRssBytes,
            Fidelity = choice.Fidelity,
            Top1Percent = choice.EstimatedTop1,
            Top5Percent = variant.Accuracy?.Top5Percent,
            AccuracySource = variant.Accuracy is { } a ? $"measured on {a.Images} images of {a.Source}"
                : choice.EstimatedTop1 is null ? "unknown"
                : choice.Precision == Precision.Fp32 ? $"published ({model.AccuracySource})"
                : "published FP32 value less the disagreements with FP32 on synthetic inputs (a lower bound)",
            LightNetVersion = results.Environment.LightNetVersion,
            StudyCommand = results.Command,
        };
        manifest.Write(Path.Combine(folder, DeploymentManifest.FileName));
        return manifest;
    }

    /// <summary>The kept file's bytes when there is one; a kept file whose SHA-256 differs is refused, not silently replaced.</summary>
    private static byte[]? Kept(StudyVariant variant, string? modelsFolder)
    {
        if (modelsFolder is null || variant.File is null || !File.Exists(Path.Combine(modelsFolder, variant.File)))
        {
            return null;
        }

        string path = Path.Combine(modelsFolder, variant.File);
        byte[] bytes = File.ReadAllBytes(path);
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return string.Equals(sha, variant.Sha256, StringComparison.OrdinalIgnoreCase) ? bytes
            : throw new LightNetException(ErrorCode.ChecksumMismatch, $"Kept model file '{path}' has SHA-256 {sha}, not the {variant.Sha256} the study measured.");
    }
}
