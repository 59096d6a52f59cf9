using System.Security.Cryptography;
using LightNet.Backends;
using LightNet.Deployment;
using LightNet.Postprocessing;
using LightNet.Study;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Study;

/// <summary>recommend --emit: the model measured, shipped byte for byte with its manifest, and loaded on the device in one line.</summary>
[Collection(StudyCollection.Name)]
public sealed class ModelEmitterTests(StudyFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static float[] Run(Model model, Backend backend, TensorBuffer input)
    {
        using IInferenceSession session = backend.CreateSession(model, new InferenceOptions { Threads = 1 });
        return session.Run(new Dictionary<string, TensorBuffer> { [session.Inputs[0].Name] = input })[session.Outputs[0].Name].ToFloatArray();
    }

    [Fact]
    public void TheEmittedInt8ModelIsTheFileMeasuredAndLoadsFromItsManifest()
    {
        StudyResults r = fixture.Results;
        Candidate int8 = ModelSelector.Candidates(r).First(c => c.Precision == Precision.Int8 && c.Backend == "ort-cpu" && c.Model == "squeezenet1_1");
        string folder = Path.Combine(_temp.Path, "deploy");
        DeploymentManifest manifest = ModelEmitter.Emit(r, int8, folder, StudyFixture.ModelsFolder);

        StudyVariant variant = r.Models[0].Variant(Precision.Int8)!;
        byte[] kept = File.ReadAllBytes(Path.Combine(StudyFixture.ModelsFolder, variant.File!));
        byte[] shipped = File.ReadAllBytes(Path.Combine(folder, manifest.ModelFile));
        Assert.Equal(kept, shipped);
        Assert.Equal(variant.Sha256, Convert.ToHexStringLower(SHA256.HashData(shipped)));
        Assert.Equal(variant.Sha256, manifest.Sha256);

        DeploymentManifest read = DeploymentManifest.Read(folder);
        Assert.Equal(("squeezenet1_1", "int8", "ort-cpu", 1), (read.Model, read.Precision, read.Backend, read.Threads));
        StudyCell cell = r.Cell("squeezenet1_1", "ort-cpu", Precision.Int8)!;
        Assert.Equal(cell.Report!.LatencyMs.Median, read.ExpectedLatencyMs);
        Assert.Equal(cell.Report.Memory.PeakRssBytes, read.ExpectedPeakMemoryBytes);
        Assert.Equal(variant.Fidelity!.Top1Agreement, read.Fidelity);
        Assert.Equal(r.Environment.LightNetVersion, read.LightNetVersion);
        Assert.Equal((64, 64), (read.Preprocessing.Width, read.Preprocessing.Height));

        // On the device: one line, on cpu-simd, the outputs of the model measured.
        Model loaded = Model.LoadFromManifest(folder);
        Model measured = Model.Load(Path.Combine(StudyFixture.ModelsFolder, variant.File!));
        TensorBuffer input = LightNet.Compression.CalibrationData.Synthetic(measured, 1, seed: 7).Read(measured).First().Values.First();
        Backend simd = Backend.Parse("cpu-simd");
        Assert.Equal(Run(measured, simd, input), Run(loaded, simd, input));

        using Classifier classifier = Classifier.FromManifest(Path.Combine(folder, DeploymentManifest.FileName), simd);
        Assert.Equal(64, classifier.Preprocessor.Options.Width);
        Assert.Equal(5, classifier.Classify(input).Count);
    }

    [Fact]
    public void ATamperedModelFileIsRefusedWithChecksumMismatch()
    {
        StudyResults r = fixture.Results;
        Candidate fp16 = ModelSelector.Candidates(r).First(c => c.Precision == Precision.Fp16 && c.Model == "mobilenet_v1@0.25");
        string folder = Path.Combine(_temp.Path, "tampered");
        DeploymentManifest manifest = ModelEmitter.Emit(r, fp16, folder, StudyFixture.ModelsFolder);
        string file = Path.Combine(folder, manifest.ModelFile);
        byte[] bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 1;
        File.WriteAllBytes(file, bytes);

        var e = Assert.Throws<LightNetException>(() => Model.LoadFromManifest(folder));
        Assert.Equal(ErrorCode.ChecksumMismatch, e.Code);
        Assert.Contains(manifest.ModelFile, e.Message);
        Assert.Contains(manifest.Sha256, e.Message);
        Assert.Equal(ErrorCode.ChecksumMismatch, Assert.Throws<LightNetException>(() => Classifier.FromManifest(folder)).Code);

        // A kept file that was changed is refused too, not shipped.
        string models = Path.Combine(_temp.Path, "models");
        Directory.CreateDirectory(models);
        StudyVariant variant = r.Models[1].Variant(Precision.Fp16)!;
        File.WriteAllBytes(Path.Combine(models, variant.File!), bytes);
        Assert.Equal(ErrorCode.ChecksumMismatch, Assert.Throws<LightNetException>(() => ModelEmitter.Emit(r, fp16, Path.Combine(_temp.Path, "again"), models)).Code);
    }

    [Fact]
    public void WithoutKeptFilesTheVariantIsMadeAgainByteForByte()
    {
        StudyResults r = fixture.Results;
        foreach (Precision p in StudyFixture.Precisions)
        {
            (Model _, byte[] bytes, string sha) = StudyRunner.RecreateVariant(r, "mobilenet_v1@0.25", p);
            Assert.Equal(r.Models[1].Variant(p)!.Sha256, sha);
            Assert.Equal(File.ReadAllBytes(Path.Combine(StudyFixture.ModelsFolder, r.Models[1].Variant(p)!.File!)), bytes);
        }

        StudyResults changed = r with { Settings = r.Settings with { CalibrationSamples = r.Settings.CalibrationSamples + 1 } };
        var e = Assert.Throws<LightNetException>(() => StudyRunner.RecreateVariant(changed, "mobilenet_v1@0.25", Precision.Int8));
        Assert.Equal(ErrorCode.ChecksumMismatch, e.Code);
        Assert.Contains("--keep-models", e.Message);
    }
}
