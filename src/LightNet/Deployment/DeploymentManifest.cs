using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LightNet.Backends;
using LightNet.Preprocessing;
using LightNet.Reports;

namespace LightNet.Deployment;

/// <summary>
/// What a device needs to run the model a study picked for it, written by <c>lightnet recommend --emit DIR</c> next to the model file as
/// <c>manifest.json</c> (schema <c>lightnet.manifest/1</c>): the model file and its SHA-256, the precision, the backend and its
/// options, the preprocessing, and what the study measured (latency, memory, fidelity, accuracy) with the LightNet version.
/// <see cref="Model.LoadFromManifest"/> and <see cref="Postprocessing.Classifier.FromManifest"/> load it in one line and refuse a model
/// file whose SHA-256 differs.
/// </summary>
public sealed record DeploymentManifest
{
    /// <summary>The version of the JSON schema.</summary>
    public const string CurrentSchema = "lightnet.manifest/1";

    /// <summary>The manifest's file name in an emitted folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Schema version.</summary>
    public string Schema { get; init; } = CurrentSchema;

    /// <summary>When the folder was written (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Model name ("mobilenet_v2").</summary>
    public required string Model { get; init; }

    /// <summary>Precision of the model file ("fp32", "fp16" or "int8").</summary>
    public required string Precision { get; init; }

    /// <summary>The model file, relative to the manifest's folder.</summary>
    public required string ModelFile { get; init; }

    /// <summary>SHA-256 of the model file, lower-case hex: the bytes the study measured.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Size of the model file in bytes.</summary>
    public long FileBytes { get; init; }

    /// <summary>The backend to run it on, with its spec options ("ort-cpu", "ort-cpu:opt=none").</summary>
    public required string Backend { get; init; }

    /// <summary>Threads per inference it was measured with (null: the backend's choice).</summary>
    public int? Threads { get; init; }

    /// <summary>The backend's effective options when it was measured (optimisation level, execution mode, ...).</summary>
    public IReadOnlyDictionary<string, string> BackendOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>How an image becomes the model's input.</summary>
    public required PreprocessOptions Preprocessing { get; init; }

    /// <summary>The device the numbers below were measured on ("AMD EPYC 9R14, 2 logical cores").</summary>
    public string Device { get; init; } = "";

    /// <summary>Median latency of one inference measured on <see cref="Device"/>, in ms.</summary>
    public double ExpectedLatencyMs { get; init; }

    /// <summary>90th percentile of the latency, in ms.</summary>
    public double LatencyP90Ms { get; init; }

    /// <summary>Time to load the model into the backend, in ms.</summary>
    public double LoadMs { get; init; }

    /// <summary>Time of the first inference after loading, in ms.</summary>
    public double FirstRunMs { get; init; }

    /// <summary>Peak resident memory of the process while it ran, in bytes.</summary>
    public long ExpectedPeakMemoryBytes { get; init; }

    /// <summary>Top-1 agreement with the FP32 model (1 for FP32; null when not measured).</summary>
    public double? Fidelity { get; init; }

    /// <summary>Top-1 accuracy in percent (see <see cref="AccuracySource"/>); null when unknown.</summary>
    public double? Top1Percent { get; init; }

    /// <summary>Top-5 accuracy in percent when it was measured; null otherwise.</summary>
    public double? Top5Percent { get; init; }

    /// <summary>Where <see cref="Top1Percent"/> comes from: measured on a labelled set, or the published value (adjusted by fidelity).</summary>
    public string AccuracySource { get; init; } = "";

    /// <summary>The LightNet version of the study.</summary>
    public string LightNetVersion { get; init; } = "";

    /// <summary>The study's command line.</summary>
    public string StudyCommand { get; init; } = "";

    /// <summary>Serializes the manifest to indented JSON.</summary>
    /// <returns>The JSON text.</returns>
    public string Serialize() => JsonSerializer.Serialize(this, Info);

    /// <summary>Writes the manifest atomically.</summary>
    /// <param name="path">Destination path.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> naming the path.</exception>
    public void Write(string path) => ReportJson.WriteText(Serialize(), path);

    /// <summary>Reads a manifest.</summary>
    /// <param name="path">The manifest file, or the folder that holds <see cref="FileName"/>.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when it is missing; <see cref="ErrorCode.InvalidArgument"/>
    /// naming the file when it is not a manifest of a schema this LightNet reads.</exception>
    public static DeploymentManifest Read(string path)
    {
        string file = ManifestPath(path);
        return Study.StudyJson.Parse(ReportJson.ReadText(file), $"'{file}'", Info, CurrentSchema, "deployment manifest");
    }

    /// <summary>The manifest's path: <paramref name="path"/> itself, or <see cref="FileName"/> inside it when it is a folder.</summary>
    /// <param name="path">A manifest file or an emitted folder.</param>
    /// <returns>The manifest file's path.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path.</exception>
    public static string ManifestPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The manifest path is empty.");
        }

        return Directory.Exists(path) ? Path.Combine(path, FileName) : path;
    }

    /// <summary>Reads the model file next to the manifest and checks its SHA-256.</summary>
    /// <param name="manifestPath">The manifest file (or its folder), for the model file's folder and messages.</param>
    /// <returns>The model file's bytes.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the model file is missing;
    /// <see cref="ErrorCode.ChecksumMismatch"/> naming the file and both hashes when it was changed.</exception>
    public byte[] ReadVerifiedModel(string manifestPath)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(ManifestPath(manifestPath)))!;
        if (Path.IsPathRooted(ModelFile) || ModelFile.Split('/', '\\').Contains(".."))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The manifest names model file '{ModelFile}' outside its folder.");
        }

        string path = Path.Combine(folder, ModelFile);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read the model file '{path}' of the manifest: {e.Message}", e);
        }

        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new LightNetException(ErrorCode.ChecksumMismatch,
                $"Model file '{path}' has SHA-256 {actual}, but the manifest expects {Sha256}: it is not the model that was measured.");
        }

        return bytes;
    }

    /// <summary>The session options the model was measured with.</summary>
    /// <returns>The options.</returns>
    public InferenceOptions InferenceOptions() => new() { Threads = Threads };

    private static readonly JsonTypeInfo<DeploymentManifest> Info = Study.StudyJson.Info<DeploymentManifest>();
}
