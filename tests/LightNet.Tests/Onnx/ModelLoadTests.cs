using System.Diagnostics;
using Google.Protobuf;
using LightNet.Onnx;
using LightNet.Onnx.Protos;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Onnx;

/// <summary>Every kind of bad model input gives a LightNetException with a public code and a message naming the fault.</summary>
public class ModelLoadTests
{
    private static LightNetException LoadFails(byte[] bytes, ModelLoadOptions? options = null)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.onnx");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<LightNetException>(() => Model.Load(path, options));
        Assert.Contains(path, e.Message);
        // The same bytes through the other entry points fail the same way.
        Assert.Equal(e.Code, Assert.Throws<LightNetException>(() => Model.Load(new MemoryStream(bytes), options)).Code);
        Assert.Equal(e.Code, Assert.Throws<LightNetException>(() => Model.Load(bytes.AsMemory(), options)).Code);
        return e;
    }

    [Fact]
    public void EmptyFile()
    {
        LightNetException e = LoadFails([]);
        Assert.Equal(ErrorCode.InvalidModel, e.Code);
        Assert.Contains("empty", e.Message);
    }

    /// <summary>Makes a FIFO with mkfifo(1); false where there is none (Windows).</summary>
    internal static bool MakeFifo(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo("mkfifo", $"\"{path}\"") { UseShellExecute = false });
            process!.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [Fact]
    public void DevicesFifosAndDirectoriesAreRefusedBeforeReading()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // /dev/zero reports a length of 0 and never ends (the attack read 4.1 GB of it).
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<LightNetException>(() => Model.Load("/dev/zero"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{clock.Elapsed}");
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains("'/dev/zero' is not a regular file", e.Message, StringComparison.Ordinal);

        using var dir = new TempDirectory();
        e = Assert.Throws<LightNetException>(() => Model.Load(dir.Path));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains("is a directory", e.Message, StringComparison.Ordinal);

        // Opening a FIFO blocks until a writer comes: it must be refused without opening it.
        string fifo = dir.File("model.onnx");
        if (MakeFifo(fifo))
        {
            clock.Restart();
            e = Assert.Throws<LightNetException>(() => Model.Load(fifo));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{clock.Elapsed}");
            Assert.Equal(ErrorCode.IOFailure, e.Code);
            Assert.Contains("not a regular file", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheSizeCapIsCountedWhileReadingNotTakenFromTheReportedLength()
    {
        // A /proc file is a regular file that reports a length of 0 yet holds more: the cap must still stop it.
        const string proc = "/proc/self/maps";
        if (!File.Exists(proc))
        {
            return;
        }

        var e = Assert.Throws<LightNetException>(() => Model.Load(proc, ModelLoadOptions.Default with { MaxFileBytes = 64 }));
        Assert.Equal(ErrorCode.ModelTooLarge, e.Code);
        Assert.Contains("is over ", e.Message, StringComparison.Ordinal);
        Assert.Contains("over the limit of 64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile()
    {
        var e = Assert.Throws<LightNetException>(() => Model.Load("/nonexistent/folder/model.onnx"));
        Assert.Equal(ErrorCode.IOFailure, e.Code);
        Assert.Contains("/nonexistent/folder/model.onnx", e.Message);
    }

    [Fact]
    public void RandomBytesNeverCrash()
    {
        var random = new Random(1234);
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);
            var e = Assert.Throws<LightNetException>(() => Model.Load(bytes.AsMemory(), sourceName: "random.onnx"));
            Assert.Contains("random.onnx", e.Message);
            Assert.True(e.Code is ErrorCode.InvalidModel or ErrorCode.InvalidTensor or ErrorCode.InvalidShape or ErrorCode.UnresolvedInput,
                $"{e.Code}: {e.Message}");
        }
    }

    [Fact]
    public void TruncatedModelAtEveryLengthFailsCleanly()
    {
        byte[] bytes = TestModels.Tiny().ToArray();
        int failures = 0;
        for (int length = 1; length < bytes.Length; length++)
        {
            try
            {
                Model.Load(bytes.AsMemory(0, length), sourceName: "cut.onnx");
            }
            catch (LightNetException e)
            {
                Assert.Contains("cut.onnx", e.Message);
                failures++;
            }
        }

        // A protobuf cut at a field boundary can still parse; most cuts must not.
        Assert.True(failures > bytes.Length / 2, $"only {failures} of {bytes.Length} truncations were rejected");
        LightNetException half = LoadFails(bytes[..(bytes.Length / 2)]);
        Assert.Equal(ErrorCode.InvalidModel, half.Code);
    }

    [Fact]
    public void RandomByteFlipsEitherLoadOrFailWithACode()
    {
        // Three random bytes changed in each of 500 copies: every copy either loads (and then round-trips) or is refused
        // with a LightNetException carrying a defined code and a message; any other exception fails the test. Both
        // outcomes occur, so the loop cannot pass by refusing everything or by never reaching the checks.
        byte[] original = TestModels.Tiny().ToArray();
        var random = new Random(99);
        int loaded = 0, refused = 0;
        for (int i = 0; i < 500; i++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int k = 0; k < 3; k++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                Model m = Model.Load(bytes.AsMemory());
                Assert.True(m.Graph.Nodes.Count > 0);
                Assert.Equal(m.Graph.Nodes.Count, Model.Load(m.ToArray().AsMemory()).Graph.Nodes.Count);
                loaded++;
            }
            catch (LightNetException e)
            {
                Assert.True(Enum.IsDefined(e.Code), $"copy {i}: code {e.Code}");
                Assert.False(string.IsNullOrWhiteSpace(e.Message), $"copy {i}: empty message");
                refused++;
            }
        }

        Assert.True(loaded > 0 && refused > 0, $"{loaded} loaded, {refused} refused");
    }

    [Fact]
    public void RawDataShorterThanShape()
    {
        ModelProto proto = TestModels.TinyProto();
        TensorProto w = proto.Graph.Initializer.Single(t => t.Name == "w");
        w.RawData = ByteString.CopyFrom(w.RawData.Span[..40]);
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.InvalidTensor, e.Code);
        Assert.Contains("initializer 'w'", e.Message);
        Assert.Contains("48 bytes", e.Message);
        Assert.Contains("40", e.Message);
    }

    [Fact]
    public void TypedDataCountMismatch()
    {
        ModelProto proto = TestModels.TinyProto();
        TensorProto b = proto.Graph.Initializer.Single(t => t.Name == "b");
        b.RawData = ByteString.Empty;
        b.FloatData.Add(1f);
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.InvalidTensor, e.Code);
        Assert.Contains("initializer 'b'", e.Message);
    }

    [Fact]
    public void NegativeDimInInitializer()
    {
        ModelProto proto = TestModels.TinyProto();
        TensorProto b = proto.Graph.Initializer.Single(t => t.Name == "b");
        b.Dims[0] = -3;
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("'b'", e.Message);
        Assert.Contains("-3", e.Message);
    }

    [Fact]
    public void NegativeDimInInputShape()
    {
        ModelProto proto = TestModels.TinyProto();
        proto.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = -5;
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("input 'x'", e.Message);
        Assert.Contains("-5", e.Message);
    }

    [Fact]
    public void AbsurdDimensions()
    {
        ModelProto proto = TestModels.TinyProto();
        proto.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 1L << 40;
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.InvalidShape, e.Code);
        Assert.Contains("absurd", e.Message);
        Assert.Contains((1L << 40).ToString(), e.Message);

        // An initializer claiming 2^40 elements is refused before any allocation.
        proto = TestModels.TinyProto();
        TensorProto w = proto.Graph.Initializer.Single(t => t.Name == "w");
        w.Dims.Clear();
        w.Dims.Add(1L << 20);
        w.Dims.Add(1L << 20);
        long before = GC.GetAllocatedBytesForCurrentThread();
        e = LoadFails(TestModels.Bytes(proto));
        Assert.True(e.Code is ErrorCode.ModelTooLarge or ErrorCode.InvalidTensor, e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20, "loading allocated far more than the file");
    }

    [Fact]
    public void GraphWithCycle()
    {
        ModelProto proto = TestModels.TinyProto();
        // matmul now reads relu's output: matmul → add → relu → matmul.
        proto.Graph.Node.Single(n => n.Name == "matmul").Input[0] = "y";
        proto.Graph.Input.Clear();
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.GraphCycle, e.Code);
        Assert.Contains("cycle", e.Message);
        Assert.Contains("node 'matmul' (MatMul)", e.Message);
    }

    [Fact]
    public void InputThatNothingProduces()
    {
        ModelProto proto = TestModels.TinyProto();
        proto.Graph.Node.Single(n => n.Name == "add").Input[1] = "ghost";
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.UnresolvedInput, e.Code);
        Assert.Contains("node 'add' (Add)", e.Message);
        Assert.Contains("'ghost'", e.Message);
    }

    [Fact]
    public void OutputThatNothingProduces()
    {
        ModelProto proto = TestModels.TinyProto();
        proto.Graph.Output[0].Name = "nowhere";
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.UnresolvedInput, e.Code);
        Assert.Contains("'nowhere'", e.Message);
    }

    [Fact]
    public void ValueWrittenTwice()
    {
        ModelProto proto = TestModels.TinyProto();
        proto.Graph.Node.Single(n => n.Name == "add").Output[0] = "mm";
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.InvalidModel, e.Code);
        Assert.Contains("'mm'", e.Message);
    }

    [Fact]
    public void NotAnOnnxModelButValidProtobuf()
    {
        // A message that parses as protobuf but has no graph.
        var proto = new ModelProto { IrVersion = 8, ProducerName = "x" };
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.InvalidModel, e.Code);
        Assert.Contains("no graph", e.Message);
    }

    [Fact]
    public void FileSizeCap()
    {
        byte[] bytes = TestModels.Tiny().ToArray();
        LightNetException e = LoadFails(bytes, new ModelLoadOptions { MaxFileBytes = 100 });
        Assert.Equal(ErrorCode.ModelTooLarge, e.Code);
        Assert.Contains("100", e.Message);
    }

    [Fact]
    public void RecursionLimit()
    {
        // 150 nested If subgraphs: deeper than protobuf's recursion limit of 100.
        GraphProto inner = new() { Name = "leaf" };
        for (int i = 0; i < 150; i++)
        {
            var node = new NodeProto { OpType = "If", Name = $"if{i}" };
            node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = inner });
            inner = new GraphProto { Name = $"g{i}" };
            inner.Node.Add(node);
        }

        var proto = new ModelProto { IrVersion = 8, Graph = inner };
        proto.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        var sw = Stopwatch.StartNew();
        LightNetException e = LoadFails(TestModels.Bytes(proto));
        Assert.Equal(ErrorCode.InvalidModel, e.Code);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void InvalidOptions()
    {
        var e = Assert.Throws<LightNetException>(() => Model.Load(new byte[] { 1 }.AsMemory(), new ModelLoadOptions { RecursionLimit = 0 }));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }
}
