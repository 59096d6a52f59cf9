using Google.Protobuf;
using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Onnx.Protos;
using LightNet.Operators;
using LightNet.Operators.Interpreter;
using Xunit;

namespace LightNet.Tests.Operators;

/// <summary>
/// The control-flow group (If, Loop, Scan, sequences, optionals, DFT/STFT, windows, MelWeightMatrix, TfIdfVectorizer,
/// CenterCropPad, Unique) against ONNX Runtime on random shapes and attributes; random and string operators by their
/// defining properties (ONNX Runtime cannot be fed strings through TensorBuffers, and random samples differ).
/// </summary>
public class ControlFlowTests
{
    private const TensorElementType F = TensorElementType.Float;
    private const TensorElementType I64 = TensorElementType.Int64;
    private const TensorElementType B = TensorElementType.Bool;

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static TensorBuffer Floats(Random r, long[] dims, double lo = -1, double hi = 1)
    {
        TensorBuffer t = TensorBuffer.Allocate(F, dims);
        Span<float> f = t.AsSpan<float>();
        for (int i = 0; i < f.Length; i++) f[i] = (float)(lo + (r.NextDouble() * (hi - lo)));
        return t;
    }

    private static TensorBuffer Longs(long[] dims, params long[] values)
    {
        TensorBuffer t = TensorBuffer.Allocate(I64, dims);
        values.CopyTo(t.AsSpan<long>());
        return t;
    }

    private static TensorBuffer Bool(bool v)
    {
        TensorBuffer t = TensorBuffer.Allocate(B, []);
        t.Bytes[0] = v ? (byte)1 : (byte)0;
        return t;
    }

    /// <summary>Runs the interpreter and ONNX Runtime on the same inputs; floats within atol + rtol·|expected|, others exactly.</summary>
    private static IReadOnlyDictionary<string, TensorBuffer> AssertMatchesOrt(Model model, Dictionary<string, TensorBuffer> inputs, string context,
        double rtol = 1e-4, double atol = 1e-4)
    {
        using var ours = new InterpretedSession(Backend.Parse("cpu-simd"), model, InferenceOptions.Default, "test");
        using IInferenceSession ort = Backend.Parse("ort-cpu").CreateSession(model, new InferenceOptions { Threads = 1 });
        IReadOnlyDictionary<string, TensorBuffer> expected = ort.Run(inputs);
        IReadOnlyDictionary<string, TensorBuffer> actual = ours.Run(inputs);
        foreach ((string name, TensorBuffer e) in expected)
        {
            TensorBuffer a = actual[name];
            Assert.True(e.ElementType == a.ElementType, $"{context}: '{name}' is {a.ElementType}, ONNX Runtime gives {e.ElementType}");
            Assert.True(e.Shape.SequenceEqual(a.Shape), $"{context}: '{name}' has shape {Dimension.Format(a.Shape)}, ONNX Runtime gives {Dimension.Format(e.Shape)}");
            if (e.ElementType.IsFloatingPoint())
            {
                float[] ev = e.ToFloatArray(), av = a.ToFloatArray();
                for (int i = 0; i < ev.Length; i++)
                {
                    bool same = ev[i] == av[i] || (float.IsNaN(ev[i]) && float.IsNaN(av[i])) || Math.Abs(ev[i] - av[i]) <= atol + (rtol * Math.Abs(ev[i]));
                    Assert.True(same, $"{context}: '{name}'[{i}] is {av[i]}, ONNX Runtime gives {ev[i]}");
                }
            }
            else
            {
                Assert.True(e.Bytes.SequenceEqual(a.Bytes), $"{context}: '{name}' ({a.ElementType}) differs from ONNX Runtime's");
            }
        }

        return actual;
    }

    private static Model OneNode(string op, long opset, (string Name, TensorElementType Type, long[] Dims)[] inputs, TensorData[] constants,
        (string Name, TensorElementType Type)[] outputs, params NodeAttribute[] attributes)
    {
        var b = new ModelBuilder(op.ToLowerInvariant() + "_test", opset);
        var names = inputs.Select(i => i.Name.Length == 0 ? "" : b.AddInput(i.Name, i.Type, i.Dims)).ToList();
        names.AddRange(constants.Select(c => c.Name.Length == 0 ? "" : b.AddInitializer(c)));
        b.AddNode(op, names, outputs.Select(o => o.Name).ToArray(), "node", attributes);
        foreach (var (name, type) in outputs)
        {
            b.AddOutput(name, type);
        }

        return b.Build();
    }

    private static TensorData Scalar(string name, long v) => TensorData.FromInt64s(name, [], [v]);

    private static ValueInfoProto Info(string name, TensorElementType type, long[]? dims = null)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (dims is not null)
        {
            tensor.Shape = new TensorShapeProto();
            tensor.Shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op + "_" + string.Join("_", outputs) };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static AttributeProto IntAttr(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    private static AttributeProto IntsAttr(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    private static GraphProto Body(string name, ValueInfoProto[] inputs, ValueInfoProto[] outputs, params NodeProto[] nodes)
    {
        var g = new GraphProto { Name = name };
        g.Input.AddRange(inputs);
        g.Output.AddRange(outputs);
        g.Node.AddRange(nodes);
        return g;
    }

    /// <summary>The model of <paramref name="b"/> with graph attributes added to its node named "node".</summary>
    private static Model WithGraphs(ModelBuilder b, params (string Name, GraphProto Graph)[] graphs)
    {
        ModelProto proto = b.Build().Proto.Clone();
        NodeProto node = proto.Graph.Node.Single(n => n.Name == "node");
        foreach (var (name, graph) in graphs)
        {
            node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph });
        }

        return Model.Load(proto.ToByteArray(), sourceName: b.Build().Graph.Name);
    }

    private static OpValue?[] Interpret(Model model, Dictionary<string, OpValue?> feeds) =>
        new GraphInterpreter(model.Graph, model.Proto.OpsetImport.Single(o => o.Domain is "" or "ai.onnx").Version, "test").Run(feeds);

    private static OpTensor Strings(long[] dims, params string[] v) => new(TensorElementType.String, dims, v);

    // ---- control flow ------------------------------------------------------------------------------------------------

    [Fact]
    public void IfRunsTheChosenBranchWithOuterScopeValues()
    {
        var b = new ModelBuilder("if_test", 13);
        b.AddInput("c", B);
        b.AddInput("x", F, 2, 3);
        b.AddInitializer(TensorData.FromFloats("one", [], [1f]));
        b.AddNode("If", ["c"], ["y"], "node");
        b.AddOutput("y", F);
        GraphProto then = Body("then", [], [Info("t", F)], Node("Add", ["x", "one"], ["t"]));
        GraphProto otherwise = Body("else", [], [Info("e", F)], Node("Mul", ["x", "x"], ["e"]));
        Model m = WithGraphs(b, ("then_branch", then), ("else_branch", otherwise));
        var r = new Random(3);
        foreach (bool c in new[] { true, false })
        {
            AssertMatchesOrt(m, new() { ["c"] = Bool(c), ["x"] = Floats(r, [2, 3]) }, $"If cond={c}");
        }
    }

    [Fact]
    public void LoopCarriesValuesStopsOnConditionOrTripCountAndStacksScanOutputs()
    {
        for (int seed = 1; seed <= 7; seed++)
        {
            var r = new Random(seed);
            long[] dims = [r.Next(1, 4), r.Next(1, 4)];
            long trips = seed == 5 ? 0 : seed == 7 ? 6 : r.Next(0, 7);
            string m = seed == 4 ? "" : "M", cond = seed % 3 == 0 || seed == 7 ? "" : "cond";
            float limit = seed == 7 ? 2 : r.Next(1, 9);
            var b = new ModelBuilder("loop_test", 13);
            b.AddInput("x", F, dims);
            b.AddInitializer(Scalar("M", trips));
            b.AddInitializer(TensorData.FromRawData("cond", B, [], new byte[] { 1 }));
            b.AddInitializer(TensorData.FromFloats("s0", [], [0f]));
            b.AddInitializer(TensorData.FromFloats("one", [], [1f]));
            b.AddInitializer(TensorData.FromFloats("limit", [], [limit]));
            b.AddNode("Loop", [m, cond, "s0", "x"], ["s_final", "x_final", "ys"], "node");
            b.AddOutput("s_final", F);
            b.AddOutput("x_final", F);
            b.AddOutput("ys", F);
            GraphProto body = Body("body",
                [Info("i", I64, []), Info("c_in", B, []), Info("s_in", F, []), Info("x_in", F, dims)],
                [Info("c_out", B, []), Info("s_out", F, []), Info("x_out", F, dims), Info("y", F, dims)],
                Node("Add", ["s_in", "one"], ["s_out"]),
                Node("Less", ["s_out", "limit"], ["c_out"]),
                Node("Mul", ["x_in", "x_in"], ["sq"]),
                Node("Sub", ["x_in", "sq"], ["x_out"]),
                Node("Add", ["x_in", "s_in"], ["y"]));
            AssertMatchesOrt(WithGraphs(b, ("body", body)), new() { ["x"] = Floats(r, dims) }, $"Loop M='{m}'={trips} cond='{cond}' limit={limit} seed {seed}");
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(11)]
    public void ScanSlicesAlongAxesInBothDirections(int opset)
    {
        for (int seed = 1; seed <= 4; seed++)
        {
            var r = new Random(seed);
            long d = r.Next(1, 4), n = r.Next(1, 5), batch = 2;
            long[] inDirs = [r.Next(2), r.Next(2)];
            long[] outAxes = [r.Next(2)];
            long[] outDirs = [r.Next(2)];
            var b = new ModelBuilder("scan_test", opset);
            var attrs = new List<NodeAttribute> { NodeAttribute.Int("num_scan_inputs", 2) };
            long[] aDims, bDims, sDims;
            if (opset >= 9)
            {
                (aDims, bDims, sDims) = ([n, d], [d, n], [d]);
                attrs.Add(NodeAttribute.Ints("scan_input_axes", 0, 1));
                attrs.Add(NodeAttribute.Ints("scan_input_directions", inDirs));
                attrs.Add(NodeAttribute.Ints("scan_output_axes", outAxes));
                attrs.Add(NodeAttribute.Ints("scan_output_directions", outDirs));
            }
            else
            {
                // Opset 8: a batch axis first, scan axis 1 for every scan input.
                (aDims, bDims, sDims) = ([batch, n, d], [batch, n, d], [batch, d]);
                attrs.Add(NodeAttribute.Ints("directions", inDirs));
            }

            b.AddInput("s", F, sDims);
            b.AddInput("a", F, aDims);
            b.AddInput("b", F, bDims);
            b.AddNode("Scan", opset >= 9 ? ["s", "a", "b"] : ["", "s", "a", "b"], ["s_final", "ys"], "node", [.. attrs]);
            b.AddOutput("s_final", F);
            b.AddOutput("ys", F);
            GraphProto body = Body("body",
                [Info("s_in", F, [d]), Info("a_t", F, [d]), Info("b_t", F, [d])],
                [Info("s_out", F, [d]), Info("y", F, [d])],
                Node("Mul", ["a_t", "b_t"], ["p"]),
                Node("Add", ["s_in", "p"], ["s_out"]),
                Node("Sub", ["s_out", "a_t"], ["y"]));
            Model m = WithGraphs(b, ("body", body));
            AssertMatchesOrt(m, new() { ["s"] = Floats(r, sDims), ["a"] = Floats(r, aDims), ["b"] = Floats(r, bDims) },
                $"Scan opset {opset} seed {seed}");
        }
    }

    // ---- sequences and optionals -------------------------------------------------------------------------------------

    [Fact]
    public void SequenceOperatorsMatchOrt()
    {
        for (int seed = 1; seed <= 4; seed++)
        {
            var r = new Random(seed);
            int rank = r.Next(1, 4);
            long[] dims = Enumerable.Range(0, rank).Select(_ => (long)r.Next(2, 5)).ToArray();
            int axis = r.Next(rank);
            long[] part = (long[])dims.Clone();
            part[axis] = 1;
            long first = r.Next(1, (int)dims[axis]);
            var b = new ModelBuilder("seq_test", 17);
            b.AddInput("x", F, dims);
            b.AddInput("y", F, part);
            b.AddInitializer(TensorData.FromInt64s("split", [2], [first, dims[axis] - first]));
            b.AddInitializer(Scalar("pos", r.Next(-3, 3)));
            b.AddInitializer(Scalar("erase", r.Next(-1, 2)));
            b.AddInitializer(Scalar("at", r.Next(-2, 2)));
            b.AddNode("SplitToSequence", ["x"], ["parts"], "split1", NodeAttribute.Int("axis", axis), NodeAttribute.Int("keepdims", 1));
            b.AddNode("SequenceInsert", ["parts", "y", "pos"], ["inserted"], "insert");
            b.AddNode("SequenceErase", ["inserted", "erase"], ["erased"], "erase");
            b.AddNode("SequenceAt", ["erased", "at"], ["picked"], "at");
            b.AddNode("SequenceLength", ["erased"], ["length"], "length");
            b.AddNode("ConcatFromSequence", ["erased"], ["joined"], "concat", NodeAttribute.Int("axis", axis));
            b.AddNode("SplitToSequence", ["x", "split"], ["halves"], "split2", NodeAttribute.Int("axis", axis));
            b.AddNode("SequenceAt", ["halves", "erase"], ["half"], "at2");
            b.AddNode("SplitToSequence", ["x"], ["slices"], "split3", NodeAttribute.Int("axis", axis), NodeAttribute.Int("keepdims", 0));
            b.AddNode("ConcatFromSequence", ["slices"], ["stacked"], "stack", NodeAttribute.Int("axis", -1), NodeAttribute.Int("new_axis", 1));
            b.AddNode("SequenceConstruct", ["x", "x"], ["pair"], "construct");
            b.AddNode("ConcatFromSequence", ["pair"], ["doubled"], "concat2", NodeAttribute.Int("axis", 0));
            b.AddNode("SequenceEmpty", [], ["empty"], "empty");
            b.AddNode("SequenceInsert", ["empty", "y"], ["single"], "insert2");
            b.AddNode("SequenceAt", ["single", "at0"], ["only"], "at3");
            b.AddInitializer(Scalar("at0", 0));
            foreach (string o in new[] { "picked", "joined", "half", "stacked", "doubled", "only" })
            {
                b.AddOutput(o, F);
            }

            b.AddOutput("length", I64);
            AssertMatchesOrt(b.Build(), new() { ["x"] = Floats(r, dims), ["y"] = Floats(r, part) }, $"sequences {Dimension.Format(dims)} axis {axis} seed {seed}");
        }
    }

    [Fact]
    public void SequenceMapRunsTheBodyPerElement()
    {
        var b = new ModelBuilder("seqmap_test", 17);
        b.AddInput("x", F, 4, 3);
        b.AddInput("z", F, 3);
        b.AddNode("SplitToSequence", ["x"], ["rows"], "split", NodeAttribute.Int("keepdims", 0));
        b.AddNode("SequenceMap", ["rows", "z"], ["mapped"], "node");
        b.AddNode("ConcatFromSequence", ["mapped"], ["y"], "concat", NodeAttribute.Int("axis", 0), NodeAttribute.Int("new_axis", 1));
        b.AddOutput("y", F);
        GraphProto body = Body("body", [Info("row", F, [3]), Info("zz", F, [3])], [Info("out", F, [3])], Node("Mul", ["row", "zz"], ["out"]));
        Model m = WithGraphs(b, ("body", body));
        var r = new Random(5);
        using var ours = new InterpretedSession(Backend.Parse("cpu-simd"), m, InferenceOptions.Default, "test");
        TensorBuffer x = Floats(r, [4, 3]), z = Floats(r, [3]);
        float[] y = ours.Run(new Dictionary<string, TensorBuffer> { ["x"] = x, ["z"] = z })["y"].ToFloatArray();
        float[] xv = x.ToFloatArray(), zv = z.ToFloatArray();
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(xv[i] * zv[i % 3], y[i], 6);
        }
    }

    [Fact]
    public void OptionalOperatorsMatchOrt()
    {
        var b = new ModelBuilder("optional_test", 18);
        b.AddInput("x", F, 2, 3);
        b.AddNode("Optional", ["x"], ["opt"], "opt");
        b.AddNode("OptionalHasElement", ["opt"], ["has"], "has");
        b.AddNode("OptionalGetElement", ["opt"], ["got"], "get");
        b.AddNode("Add", ["got", "x"], ["y"], "add");
        b.AddOutput("has", B);
        b.AddOutput("y", F);
        AssertMatchesOrt(b.Build(), new() { ["x"] = Floats(new Random(2), [2, 3]) }, "optional");

        var e = new ModelBuilder("optional_empty", 18);
        e.AddInput("x", F, 2);
        e.AddNode("OptionalHasElement", [""], ["has"], "has");
        e.AddNode("Optional", ["x"], ["opt"], "opt");
        e.AddNode("OptionalHasElement", ["opt"], ["has2"], "has2");
        e.AddNode("Optional", [], ["none"], "none");
        e.AddNode("OptionalHasElement", ["none"], ["has3"], "has3");
        e.AddOutput("has", B);
        e.AddOutput("has2", B);
        e.AddOutput("has3", B);
        OpValue?[] outs = Interpret(e.Build(), new() { ["x"] = OpTensor.FromFloats([2], [1f, 2f]) });
        Assert.False(((OpTensor)outs[0]!).Get<bool>()[0]);
        Assert.True(((OpTensor)outs[1]!).Get<bool>()[0]);
        Assert.False(((OpTensor)outs[2]!).Get<bool>()[0]);
    }

    // ---- signal processing -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(17)]
    [InlineData(20)]
    public void DftMatchesOrt(int opset)
    {
        for (int seed = 1; seed <= 8; seed++)
        {
            var r = new Random(seed);
            int signalRank = r.Next(1, 3);
            bool complex = r.Next(2) == 0;
            long[] dims = [r.Next(1, 3), .. Enumerable.Range(0, signalRank).Select(_ => (long)r.Next(1, 13)), complex ? 2 : 1];
            int axis = r.Next(1, signalRank + 1);
            bool inverse = r.Next(2) == 0;
            bool onesided = !complex && !inverse && r.Next(2) == 0;
            long? length = r.Next(3) == 0 ? r.Next(1, 17) : null;
            var constants = new List<TensorData> { length is { } l ? Scalar("len", l) : TensorData.FromInt64s("", [], [0]) };
            var attrs = new List<NodeAttribute> { NodeAttribute.Int("inverse", inverse ? 1 : 0), NodeAttribute.Int("onesided", onesided ? 1 : 0) };
            if (opset >= 20)
            {
                constants.Add(Scalar("axis", r.Next(2) == 0 ? axis : axis - dims.Length));
            }
            else
            {
                attrs.Add(NodeAttribute.Int("axis", axis));
            }

            Model m = OneNode("DFT", opset, [("x", F, dims)], [.. constants], [("y", F)], [.. attrs]);
            double tol = 1e-4 * Math.Max(dims[axis], length ?? 1);
            AssertMatchesOrt(m, new() { ["x"] = Floats(r, dims) },
                $"DFT-{opset} {Dimension.Format(dims)} axis {axis} inverse {inverse} onesided {onesided} length {length}", tol, tol);
        }
    }

    [Fact]
    public void InverseOneSidedDftRestoresTheRealSignal()
    {
        for (int n = 1; n <= 9; n++)
        {
            var r = new Random(n);
            long[] dims = [1, n, 1];
            var b = new ModelBuilder("irfft", 20);
            b.AddInput("x", F, dims);
            b.AddInitializer(Scalar("len", n));
            b.AddNode("DFT", ["x", "len"], ["spec"], "rfft", NodeAttribute.Int("onesided", 1));
            b.AddNode("DFT", ["spec", "len"], ["back"], "irfft", NodeAttribute.Int("onesided", 1), NodeAttribute.Int("inverse", 1));
            b.AddOutput("back", F);
            using var ours = new InterpretedSession(Backend.Parse("cpu-simd"), b.Build(), InferenceOptions.Default, "test");
            TensorBuffer x = Floats(r, dims);
            TensorBuffer back = ours.Run(new Dictionary<string, TensorBuffer> { ["x"] = x })["back"];
            Assert.Equal(dims, back.Shape);
            float[] xv = x.ToFloatArray(), bv = back.ToFloatArray();
            for (int i = 0; i < n; i++)
            {
                Assert.True(Math.Abs(xv[i] - bv[i]) < 1e-5, $"n={n}: element {i} is {bv[i]}, expected {xv[i]}");
            }
        }
    }

    [Fact]
    public void StftMatchesOrt()
    {
        for (int seed = 1; seed <= 4; seed++)
        {
            var r = new Random(seed);
            long length = r.Next(8, 40), frame = r.Next(2, 9), step = r.Next(1, 5);
            var window = Enumerable.Range(0, (int)frame).Select(i => 0.5f - (0.5f * MathF.Cos(2 * MathF.PI * i / frame))).ToArray();
            bool withWindow = seed % 2 == 0;
            TensorData[] constants = withWindow
                ? [Scalar("step", step), TensorData.FromFloats("window", [frame], window)]
                : [Scalar("step", step), TensorData.FromInt64s("", [], [0]), Scalar("frame", frame)];
            long onesided = seed > 2 ? 0 : 1, parts = seed == 3 ? 2 : 1;
            Model m = OneNode("STFT", 17, [("x", F, [2, length, parts])], constants, [("y", F)], NodeAttribute.Int("onesided", onesided));
            double tol = 1e-4 * frame;
            AssertMatchesOrt(m, new() { ["x"] = Floats(r, [2, length, parts]) },
                $"STFT length {length} frame {frame} step {step} window {withWindow} onesided {onesided} complex {parts == 2}", tol, tol);
        }
    }

    [Theory]
    [InlineData("HannWindow")]
    [InlineData("HammingWindow")]
    [InlineData("BlackmanWindow")]
    public void WindowsMatchOrt(string op)
    {
        foreach (long size in new long[] { 1, 2, 5, 16 })
        {
            foreach (long periodic in new long[] { 0, 1 })
            {
                Model m = OneNode(op, 17, [], [Scalar("size", size)], [("y", F)], NodeAttribute.Int("periodic", periodic));
                AssertMatchesOrt(m, [], $"{op} size {size} periodic {periodic}", 1e-5, 1e-6);
            }
        }
    }

    [Fact]
    public void MelWeightMatrixMatchesOrt()
    {
        foreach ((long bins, long dft, long rate, float lo, float hi) in new[] { (8L, 64L, 16000L, 0f, 8000f), (5L, 32L, 8000L, 100f, 3000f), (10L, 128L, 22050L, 20f, 11000f) })
        {
            Model m = OneNode("MelWeightMatrix", 17, [],
                [Scalar("bins", bins), Scalar("dft", dft), Scalar("rate", rate), TensorData.FromFloats("lo", [], [lo]), TensorData.FromFloats("hi", [], [hi])],
                [("y", F)]);
            AssertMatchesOrt(m, [], $"MelWeightMatrix {bins} {dft} {rate} {lo}-{hi}", 1e-5, 1e-6);
        }
    }

    // ---- data operators ----------------------------------------------------------------------------------------------

    [Fact]
    public void CenterCropPadMatchesOrt()
    {
        for (int seed = 1; seed <= 6; seed++)
        {
            var r = new Random(seed);
            int rank = r.Next(1, 4);
            long[] dims = Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 7)).ToArray();
            long[] axes = Enumerable.Range(0, rank).Where(_ => r.Next(3) > 0).Select(a => (long)(r.Next(2) == 0 ? a : a - rank)).ToArray();
            if (axes.Length == 0)
            {
                axes = [0];
            }

            long[] shape = axes.Select(_ => (long)r.Next(1, 9)).ToArray();
            Model m = OneNode("CenterCropPad", 18, [("x", F, dims)], [TensorData.FromInt64s("shape", [shape.Length], shape)], [("y", F)],
                NodeAttribute.Ints("axes", axes));
            AssertMatchesOrt(m, new() { ["x"] = Floats(r, dims) }, $"CenterCropPad {Dimension.Format(dims)} axes [{string.Join(",", axes)}] shape [{string.Join(",", shape)}]");
        }
    }

    [Fact]
    public void UniqueMatchesOrt()
    {
        for (int seed = 1; seed <= 8; seed++)
        {
            var r = new Random(seed);
            int rank = r.Next(1, 4);
            long[] dims = Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 5)).ToArray();
            var attrs = new List<NodeAttribute> { NodeAttribute.Int("sorted", r.Next(2)) };
            if (r.Next(2) == 0)
            {
                attrs.Add(NodeAttribute.Int("axis", r.Next(-rank, rank)));
            }

            TensorBuffer x = TensorBuffer.Allocate(F, dims);
            Span<float> xs = x.AsSpan<float>();
            for (int i = 0; i < xs.Length; i++) xs[i] = r.Next(-2, 3) * 0.5f;
            Model m = OneNode("Unique", 11, [("x", F, dims)], [], [("y", F), ("indices", I64), ("inverse", I64), ("counts", I64)], [.. attrs]);
            AssertMatchesOrt(m, new() { ["x"] = x }, $"Unique {Dimension.Format(dims)} {string.Join(" ", attrs)}");
        }
    }

    [Fact]
    public void TfIdfVectorizerMatchesOrt()
    {
        for (int seed = 1; seed <= 6; seed++)
        {
            var r = new Random(seed);
            int unigrams = r.Next(1, 4), bigrams = r.Next(0, 4);
            var pool = new List<long>();
            pool.AddRange(Enumerable.Range(0, 6).OrderBy(_ => r.Next()).Take(unigrams).Select(v => (long)v));
            var seen = new HashSet<(long, long)>();
            while (seen.Count < bigrams)
            {
                (long, long) g = (r.Next(6), r.Next(6));
                if (seen.Add(g))
                {
                    pool.Add(g.Item1);
                    pool.Add(g.Item2);
                }
            }

            int count = unigrams + bigrams;
            long[] indexes = Enumerable.Range(0, count).Select(i => (long)i).OrderBy(_ => r.Next()).ToArray();
            string mode = new[] { "TF", "IDF", "TFIDF" }[seed % 3];
            long minGram = bigrams > 0 ? r.Next(1, 3) : 1, maxGram = bigrams > 0 ? 2 : 1;
            var attrs = new List<NodeAttribute>
            {
                NodeAttribute.String("mode", mode),
                NodeAttribute.Int("min_gram_length", minGram),
                NodeAttribute.Int("max_gram_length", maxGram),
                NodeAttribute.Int("max_skip_count", r.Next(0, 3)),
                NodeAttribute.Ints("ngram_counts", 0, unigrams),
                NodeAttribute.Ints("ngram_indexes", indexes),
                NodeAttribute.Ints("pool_int64s", [.. pool]),
            };
            if (mode != "TF")
            {
                attrs.Add(NodeAttribute.Floats("weights", Enumerable.Range(0, count).Select(_ => (float)r.NextDouble() + 0.5f).ToArray()));
            }

            long[] dims = seed % 2 == 0 ? [r.Next(4, 12)] : [2, r.Next(4, 12)];
            TensorBuffer x = TensorBuffer.Allocate(I64, dims);
            Span<long> xs = x.AsSpan<long>();
            for (int i = 0; i < xs.Length; i++) xs[i] = r.Next(0, 6);
            Model m = OneNode("TfIdfVectorizer", 9, [("x", I64, dims)], [], [("y", F)], [.. attrs]);
            AssertMatchesOrt(m, new() { ["x"] = x }, $"TfIdfVectorizer seed {seed} {string.Join(" ", attrs)}");
        }
    }

    // ---- random operators ----------------------------------------------------------------------------------------------

    [Fact]
    public void RandomOperatorsHaveTheRightShapeRangeAndSeededRepeatability()
    {
        var b = new ModelBuilder("random_test", 17);
        b.AddInput("p", F, 200);
        b.AddNode("RandomUniform", [], ["u"], "u", NodeAttribute.Ints("shape", 3, 100), NodeAttribute.Float("low", 2), NodeAttribute.Float("high", 5), NodeAttribute.Float("seed", 1));
        b.AddNode("RandomNormal", [], ["n"], "n", NodeAttribute.Ints("shape", 4000), NodeAttribute.Float("mean", 3), NodeAttribute.Float("scale", 2), NodeAttribute.Float("seed", 2));
        b.AddNode("RandomUniformLike", ["p"], ["ul"], "ul", NodeAttribute.Int("dtype", (long)TensorElementType.Double));
        b.AddNode("RandomNormalLike", ["p"], ["nl"], "nl");
        b.AddNode("Bernoulli", ["p"], ["bern"], "bern", NodeAttribute.Float("seed", 3));
        b.AddNode("Multinomial", ["logits"], ["samples"], "multi", NodeAttribute.Int("sample_size", 50), NodeAttribute.Float("seed", 4));
        b.AddInitializer(TensorData.FromFloats("logits", [2, 3], [0f, -100f, -100f, -100f, -100f, 0f]));
        foreach (string o in new[] { "u", "n", "nl", "bern" })
        {
            b.AddOutput(o, F);
        }

        b.AddOutput("ul", TensorElementType.Double);
        b.AddOutput("samples", TensorElementType.Int32);
        Model m = b.Build();
        var feeds = new Dictionary<string, OpValue?> { ["p"] = OpTensor.FromFloats([200], Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? 0f : 1f).ToArray()) };
        OpValue?[] first = Interpret(m, feeds), second = Interpret(m, feeds);
        var u = (OpTensor)first[0]!;
        Assert.Equal([3L, 100L], u.Dims);
        Assert.All(u.Get<float>(), v => Assert.InRange(v, 2f, 5f));
        Assert.Equal(u.Get<float>(), ((OpTensor)second[0]!).Get<float>());
        float[] n = ((OpTensor)first[1]!).Get<float>();
        double mean = n.Average(), sd = Math.Sqrt(n.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, 2.8, 3.2);
        Assert.InRange(sd, 1.8, 2.2);
        Assert.Equal([200L], ((OpTensor)first[2]!).Dims);
        float[] bern = ((OpTensor)first[3]!).Get<float>();
        for (int i = 0; i < bern.Length; i++)
        {
            Assert.Equal(i % 2 == 0 ? 0f : 1f, bern[i]);
        }

        Assert.Equal(TensorElementType.Double, ((OpTensor)first[4]!).Type);
        var samples = (OpTensor)first[5]!;
        Assert.Equal([2L, 50L], samples.Dims);
        int[] s = samples.Get<int>();
        Assert.All(s.Take(50), v => Assert.Equal(0, v));
        Assert.All(s.Skip(50), v => Assert.Equal(2, v));
    }

    // ---- string operators ----------------------------------------------------------------------------------------------

    private static Model StringModel(string op, long opset, int inputs, (string Name, TensorElementType Type)[] outputs, params NodeAttribute[] attributes)
    {
        var b = new ModelBuilder(op.ToLowerInvariant() + "_test", opset);
        var names = Enumerable.Range(0, inputs).Select(i => b.AddInput("s" + i, TensorElementType.String, [Dimension.Symbolic("n" + i)])).ToList();
        b.AddNode(op, names, outputs.Select(o => o.Name).ToArray(), "node", attributes);
        foreach (var (name, type) in outputs)
        {
            b.AddOutput(name, type);
        }

        return b.Build();
    }

    [Fact]
    public void StringNormalizerRemovesStopWordsAndChangesCase()
    {
        Model m = StringModel("StringNormalizer", 10, 1, [("y", TensorElementType.String)],
            NodeAttribute.String("case_change_action", "UPPER"), NodeAttribute.Strings("stopwords", "monday"));
        var y = (OpTensor)Interpret(m, new() { ["s0"] = Strings([4], "Monday", "tuesday", "wednesday", "monday") })[0]!;
        Assert.Equal(["TUESDAY", "WEDNESDAY"], y.Get<string>());
        y = (OpTensor)Interpret(m, new() { ["s0"] = Strings([1, 2], "monday", "MONDAY") })[0]!;
        Assert.Equal([1L, 1L], y.Dims);
        Assert.Equal([""], y.Get<string>());

        Model sensitive = StringModel("StringNormalizer", 10, 1, [("y", TensorElementType.String)],
            NodeAttribute.String("case_change_action", "LOWER"), NodeAttribute.Int("is_case_sensitive", 1), NodeAttribute.Strings("stopwords", "monday"));
        y = (OpTensor)Interpret(sensitive, new() { ["s0"] = Strings([3], "Monday", "monday", "FRIDAY") })[0]!;
        Assert.Equal(["monday", "friday"], y.Get<string>());
    }

    [Fact]
    public void StringConcatBroadcasts()
    {
        Model m = StringModel("StringConcat", 20, 2, [("y", TensorElementType.String)]);
        var a = new OpTensor(TensorElementType.String, [2, 1], new[] { "a", "b" });
        var y = (OpTensor)Interpret(m, new() { ["s0"] = a, ["s1"] = Strings([3], "x", "", "zé") })[0]!;
        Assert.Equal([2L, 3L], y.Dims);
        Assert.Equal(["ax", "a", "azé", "bx", "b", "bzé"], y.Get<string>());
    }

    [Fact]
    public void StringSplitFollowsPythonSplit()
    {
        Model ws = StringModel("StringSplit", 20, 1, [("y", TensorElementType.String), ("z", I64)], NodeAttribute.Int("maxsplit", 1));
        OpValue?[] r = Interpret(ws, new() { ["s0"] = Strings([3], "  a b  c ", "", "one") });
        Assert.Equal([3L, 2L], ((OpTensor)r[0]!).Dims);
        Assert.Equal(["a", "b  c ", "", "", "one", ""], ((OpTensor)r[0]!).Get<string>());
        Assert.Equal([2L, 0L, 1L], ((OpTensor)r[1]!).Get<long>());

        Model comma = StringModel("StringSplit", 20, 1, [("y", TensorElementType.String), ("z", I64)], NodeAttribute.String("delimiter", ",,"));
        r = Interpret(comma, new() { ["s0"] = Strings([2], "a,,b,,,,c", "") });
        Assert.Equal(["a", "b", "", "c", "", "", "", ""], ((OpTensor)r[0]!).Get<string>());
        Assert.Equal([4L, 1L], ((OpTensor)r[1]!).Get<long>());
    }

    [Fact]
    public void RegexFullMatchMatchesWholeStrings()
    {
        Model m = StringModel("RegexFullMatch", 20, 1, [("y", B)], NodeAttribute.String("pattern", @"www\.[\w.-]+\.\bcom\b|ab"));
        var y = (OpTensor)Interpret(m, new() { ["s0"] = Strings([4], "www.google.com", "www.facebook.com.x", "ab", "abc") })[0]!;
        Assert.Equal([true, false, true, false], y.Get<bool>());
        var problems = new List<string>();
        new LightNet.Operators.ControlFlow.RegexFullMatch().Validate(
            StringModel("RegexFullMatch", 20, 1, [("y", B)], NodeAttribute.String("pattern", "(")).Graph.Nodes[0], 20, problems);
        Assert.Single(problems);
    }
}
