using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Study;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Study;

/// <summary>One small real study (two zoo networks at 64×64, ort-cpu and the plain baseline, FP32/FP16/INT8), run once for every test class of the collection.</summary>
public sealed class StudyFixture : IDisposable
{
    /// <summary>Where the fixture's study keeps the variants it measures (deleted with the fixture).</summary>
    public static readonly string ModelsFolder = Path.Combine(Path.GetTempPath(), $"lightnet-study-fixture-{Environment.ProcessId}-{Guid.NewGuid():N}", "models");

    public static readonly StudyOptions Options = StudyOptions.Quick with
    {
        Models = ["squeezenet1_1", "mobilenet_v1@0.25"],
        Backends = ["ort-cpu"],
        Resolution = 64,
        Measurement = new ProfileOptions { WarmupRuns = 1, WarmupSeconds = 0, Runs = 6, MinSeconds = 0, MaxSeconds = 1, PerOperatorRuns = 2, Threads = 1 },
        CalibrationSamples = 2,
        FidelitySamples = 4,
        Command = "lightnet study (test fixture)",
        ModelsFolder = ModelsFolder,
    };

    public StudyFixture()
    {
        var progress = new List<StudyProgress>();
        Results = StudyRunner.Run(Options, new SyncProgress<StudyProgress>(progress.Add));
        Progress = progress;
    }

    public StudyResults Results { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(ModelsFolder)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public IReadOnlyList<StudyProgress> Progress { get; }

    public static IReadOnlyList<string> Backends => [StudyOptions.PlainBaseline, "ort-cpu"];

    public static IReadOnlyList<Precision> Precisions => [Precision.Fp32, Precision.Fp16, Precision.Int8];
}

[CollectionDefinition(Name)]
public sealed class StudyCollection : ICollectionFixture<StudyFixture>
{
    public const string Name = "study";
}
