using Google.Protobuf;
using LightNet.Onnx;
using LightNet.Onnx.Protos;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Onnx;

public class ExternalDataTests
{
    /// <summary>The tiny model with initializer 'w' moved to an external file at <paramref name="location"/>.</summary>
    private static byte[] WithExternalWeights(string location, long offset = 0)
    {
        ModelProto proto = TestModels.TinyProto();
        TensorProto w = proto.Graph.Initializer.Single(t => t.Name == "w");
        w.RawData = ByteString.Empty;
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
        w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = "48" });
        return proto.ToByteArray();
    }

    private static byte[] WeightBytes() => TestModels.Tiny().Graph.Initializers["w"].RawData.ToArray();

    [Fact]
    public void OffByDefault()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("weights.bin"), WeightBytes());
        File.WriteAllBytes(dir.File("m.onnx"), WithExternalWeights("weights.bin"));
        var e = Assert.Throws<LightNetException>(() => Model.Load(dir.File("m.onnx")));
        Assert.Equal(ErrorCode.ExternalDataRejected, e.Code);
        Assert.Contains("'weights.bin'", e.Message);
        Assert.Contains("AllowExternalData", e.Message);
    }

    [Fact]
    public void LoadsInsideTheModelFolderWhenAllowedAndSavesInline()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("data"));
        byte[] padded = [.. new byte[16], .. WeightBytes()];
        File.WriteAllBytes(dir.File("data/weights.bin"), padded);
        File.WriteAllBytes(dir.File("m.onnx"), WithExternalWeights("data/weights.bin", offset: 16));

        Model m = Model.Load(dir.File("m.onnx"), new ModelLoadOptions { AllowExternalData = true });
        Assert.Equal(WeightBytes(), m.Graph.Initializers["w"].RawData.ToArray());

        m.Save(dir.File("inline.onnx"));
        Model inline = Model.Load(dir.File("inline.onnx"));
        Assert.Equal(WeightBytes(), inline.Graph.Initializers["w"].RawData.ToArray());
    }

    [Theory]
    [InlineData("../weights.bin")]
    [InlineData("data/../../weights.bin")]
    [InlineData("/etc/passwd")]
    [InlineData("..\\weights.bin")]
    public void PathsLeavingTheFolderAreRejected(string location)
    {
        using var dir = new TempDirectory();
        string modelDir = dir.File("model");
        Directory.CreateDirectory(modelDir);
        File.WriteAllBytes(dir.File("weights.bin"), WeightBytes());
        File.WriteAllBytes(Path.Combine(modelDir, "m.onnx"), WithExternalWeights(location));
        var e = Assert.Throws<LightNetException>(() =>
            Model.Load(Path.Combine(modelDir, "m.onnx"), new ModelLoadOptions { AllowExternalData = true }));
        Assert.Equal(ErrorCode.ExternalDataRejected, e.Code);
        Assert.Contains(location, e.Message);
    }

    [Fact]
    public void LinkPointingOutsideIsRejected()
    {
        using var dir = new TempDirectory();
        string modelDir = dir.File("model");
        Directory.CreateDirectory(modelDir);
        File.WriteAllBytes(dir.File("secret.bin"), WeightBytes());
        File.CreateSymbolicLink(Path.Combine(modelDir, "weights.bin"), dir.File("secret.bin"));
        File.WriteAllBytes(Path.Combine(modelDir, "m.onnx"), WithExternalWeights("weights.bin"));
        var e = Assert.Throws<LightNetException>(() =>
            Model.Load(Path.Combine(modelDir, "m.onnx"), new ModelLoadOptions { AllowExternalData = true }));
        Assert.Equal(ErrorCode.ExternalDataRejected, e.Code);
    }

    [Fact]
    public void FolderLinkPointingOutsideIsRejected()
    {
        // Issue 19: 'etc -> /etc' inside the model folder and location 'etc/passwd' (only the last component was checked).
        using var dir = new TempDirectory();
        string modelDir = dir.File("model");
        Directory.CreateDirectory(modelDir);
        Directory.CreateDirectory(dir.File("outside"));
        File.WriteAllBytes(dir.File("outside/weights.bin"), WeightBytes());
        Directory.CreateSymbolicLink(Path.Combine(modelDir, "etc"), dir.File("outside"));
        File.WriteAllBytes(Path.Combine(modelDir, "m.onnx"), WithExternalWeights("etc/weights.bin"));
        var e = Assert.Throws<LightNetException>(() =>
            Model.Load(Path.Combine(modelDir, "m.onnx"), new ModelLoadOptions { AllowExternalData = true }));
        Assert.Equal(ErrorCode.ExternalDataRejected, e.Code);
        Assert.Contains("etc/weights.bin", e.Message);
    }

    [Fact]
    public void LinksThatStayInsideTheFolderAreFollowed()
    {
        using var dir = new TempDirectory();
        string modelDir = dir.File("model");
        Directory.CreateDirectory(Path.Combine(modelDir, "data"));
        File.WriteAllBytes(Path.Combine(modelDir, "data", "weights.bin"), WeightBytes());
        Directory.CreateSymbolicLink(Path.Combine(modelDir, "alias"), "data");
        // The model folder itself reached through a link is fine too: both sides are compared resolved.
        Directory.CreateSymbolicLink(dir.File("linked-model"), modelDir);
        File.WriteAllBytes(Path.Combine(modelDir, "m.onnx"), WithExternalWeights("alias/weights.bin"));
        Model m = Model.Load(Path.Combine(dir.File("linked-model"), "m.onnx"), new ModelLoadOptions { AllowExternalData = true });
        Assert.Equal(WeightBytes(), m.Graph.Initializers["w"].RawData.ToArray());
    }

    [Fact]
    public void AnExternalDataFifoIsRefusedWithoutBlocking()
    {
        using var dir = new TempDirectory();
        if (!ModelLoadTests.MakeFifo(dir.File("weights.bin")))
        {
            return;
        }

        File.WriteAllBytes(dir.File("m.onnx"), WithExternalWeights("weights.bin"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<LightNetException>(() => Model.Load(dir.File("m.onnx"), new ModelLoadOptions { AllowExternalData = true }));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{clock.Elapsed}");
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains("not a regular file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StreamLoadsCannotUseExternalData()
    {
        var e = Assert.Throws<LightNetException>(() =>
            Model.Load(new MemoryStream(WithExternalWeights("weights.bin")), new ModelLoadOptions { AllowExternalData = true }));
        Assert.Equal(ErrorCode.ExternalDataRejected, e.Code);
    }

    [Fact]
    public void ExternalFileTooShort()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("weights.bin"), new byte[10]);
        File.WriteAllBytes(dir.File("m.onnx"), WithExternalWeights("weights.bin"));
        var e = Assert.Throws<LightNetException>(() => Model.Load(dir.File("m.onnx"), new ModelLoadOptions { AllowExternalData = true }));
        Assert.Equal(ErrorCode.InvalidTensor, e.Code);
        Assert.Contains("'weights.bin'", e.Message);
    }
}
