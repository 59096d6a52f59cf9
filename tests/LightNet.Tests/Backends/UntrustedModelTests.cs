using System.Diagnostics;
using LightNet.Backends;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Backends;

/// <summary>
/// Regression inputs of issue 19 (untrusted models): mutated attributes are refused with a <see cref="LightNetException"/>
/// on every backend — on ONNX Runtime before it sees the model — never with a raw .NET exception or a native crash; the
/// memory budget refuses plans and estimates over it quickly; session creation stays linear in the graph's size.
/// </summary>
public class UntrustedModelTests
{
    public static TheoryData<string, string> Mutations()
    {
        var data = new TheoryData<string, string>();
        foreach (string backend in new[] { "ort-cpu", "cpu-simd" })
        {
            foreach (string mutation in new[]
            {
                "group=0", "group=-1", "group=3", "group=64", "group=4294967296", "strides=0", "strides=-1", "strides=4294967303",
                "dilations=0", "dilations=4611686018427387904", "kernel_shape=0", "kernel_shape=5", "kernel_shape=short",
                "pads=-5", "pads=4611686018427387904", "pads=short",
            })
            {
                data.Add(backend, mutation);
            }
        }

        return data;
    }

    /// <summary>A 32-channel Conv (weights [32, 32, 3, 3]) on [1, 32, 8, 8] with one attribute rewritten.</summary>
    internal static Model MutatedConv(string mutation)
    {
        var b = new ModelBuilder("conv_" + mutation.Replace('=', '_'), 17);
        b.AddInput("x", TensorElementType.Float, 1, 32, 8, 8);
        b.AddInitializer(TensorData.FromFloats("w", [32, 32, 3, 3], Enumerable.Range(0, 32 * 32 * 9).Select(i => (i % 7) * 0.01f).ToArray()));
        string[] parts = mutation.Split('=');
        string name = parts[0];
        NodeAttribute attribute = parts[1] == "short"
            ? NodeAttribute.Ints(name, 1)
            : name == "group" ? NodeAttribute.Int(name, long.Parse(parts[1]))
            : name == "pads" ? NodeAttribute.Ints(name, long.Parse(parts[1]), 0, 0, 0)
            : NodeAttribute.Ints(name, long.Parse(parts[1]), name == "kernel_shape" ? long.Parse(parts[1]) : 1);
        b.AddNode("Conv", ["x", "w"], ["y"], "conv", attribute);
        b.AddOutput("y", TensorElementType.Float);
        return b.Build();
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public void MutatedConvIsRefusedBeforeNativeCode(string backend, string mutation)
    {
        Model model = MutatedConv(mutation);
        var e = Assert.Throws<LightNetException>(() =>
        {
            using IInferenceSession session = Backend.Parse(backend).CreateSession(model);
        });
        Assert.Contains("conv", e.Message);
        if (backend == "ort-cpu")
        {
            // Refused by LightNet's own checks, not by ONNX Runtime (which crashed on some of these).
            Assert.Contains($"Backend '{backend}' refuses model", e.Message);
            Assert.DoesNotContain("ONNX Runtime (", e.Message);
        }
    }

    [Fact]
    public void RegistrySpecificationChecksNameTheAttribute()
    {
        var problems = new List<string>();
        LightNet.Operators.OperatorRegistry.ValidateSpecification(MutatedConv("strides=0").Graph, 17, problems);
        string problem = Assert.Single(problems);
        Assert.Contains("Conv node 'conv'", problem);
        Assert.Contains("'strides' = [0, 1]", problem);

        problems.Clear();
        LightNet.Operators.OperatorRegistry.ValidateSpecification(MutatedConv("group=3").Graph, 17, problems);
        Assert.Empty(problems); // a group that does not divide the channels needs shapes: shape inference refuses it
    }

    [Theory]
    [InlineData("ort-cpu")]
    [InlineData("cpu-simd")]
    public void HugeAttributesGiveErrorCodesNotRawExceptions(string backend)
    {
        foreach ((string op, NodeAttribute attribute) in new[]
        {
            ("LRN", NodeAttribute.Int("size", (1L << 32) + 3)),
            ("Flatten", NodeAttribute.Int("axis", 1L << 62)),
            ("Softmax", NodeAttribute.Int("axis", long.MinValue)),
            ("DepthToSpace", NodeAttribute.Int("blocksize", 1L << 62)),
        })
        {
            var b = new ModelBuilder("huge_" + op, 17);
            b.AddInput("x", TensorElementType.Float, 1, 4, 8, 8);
            b.AddNode(op, ["x"], ["y"], "n", attribute);
            b.AddOutput("y", TensorElementType.Float);
            Model model = b.Build();
            Exception? analysis = Record.Exception(() => model.Analyze());
            Assert.True(analysis is null or LightNetException, $"{op}: {analysis}");
            Exception? creation = Record.Exception(() =>
            {
                using IInferenceSession session = Backend.Parse(backend).CreateSession(model);
            });
            Assert.True(creation is LightNetException, $"{op}: {creation?.ToString() ?? "accepted"}");
        }
    }

    /// <summary>MaxPool with a 1×1 window and pads of 70,000: a 142-byte model whose output is 58 GB.</summary>
    private static Model HugeMaxPool()
    {
        var b = new ModelBuilder("maxpool_big", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3, 8, 8);
        b.AddNode("MaxPool", ["x"], ["y"], "pool", NodeAttribute.Ints("kernel_shape", 1, 1), NodeAttribute.Ints("pads", 0, 0, 70000, 70000));
        b.AddOutput("y", TensorElementType.Float);
        return b.Build();
    }

    /// <summary>ConstantOfShape of 300 M floats added to the input: 1.2 GB per value.</summary>
    private static Model HugeConstantOfShape()
    {
        var b = new ModelBuilder("cos300m", 17);
        b.AddInput("x", TensorElementType.Float, 1);
        b.AddInitializer(TensorData.FromInt64s("shape", [1], [300_000_000]));
        b.AddNode("ConstantOfShape", ["shape"], ["c"], "c");
        b.AddNode("Add", ["x", "c"], ["y"], "add");
        b.AddOutput("y", TensorElementType.Float);
        return b.Build();
    }

    /// <summary>Resize by 1000 on both spatial axes of a 224×224 image: 600 GB.</summary>
    private static Model HugeResize()
    {
        var b = new ModelBuilder("resize1000", 17);
        b.AddInput("x", TensorElementType.Float, 1, 3, 224, 224);
        b.AddInitializer(TensorData.FromFloats("scales", [4], [1, 1, 1000, 1000]));
        b.AddNode("Resize", ["x", "", "scales"], ["y"], "resize");
        b.AddOutput("y", TensorElementType.Float);
        return b.Build();
    }

    [Theory]
    [InlineData("ort-cpu")]
    [InlineData("cpu-simd")]
    public void MemoryBudgetRefusesQuicklyWithTheNumbers(string backend)
    {
        var options = new InferenceOptions { MemoryBudgetBytes = 256L << 20 };
        foreach (Model model in new[] { HugeMaxPool(), HugeConstantOfShape(), HugeResize() })
        {
            var clock = Stopwatch.StartNew();
            var e = Assert.Throws<LightNetException>(() =>
            {
                using IInferenceSession session = Backend.Parse(backend).CreateSession(model, options);
            });
            Assert.Equal(ErrorCode.ResourceLimit, e.Code);
            Assert.Contains("268435456 bytes", e.Message); // the budget
            Assert.Contains("MemoryBudgetBytes", e.Message);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{model.Graph.Name} took {clock.Elapsed} to refuse");
        }

        // The default budget (half of this machine's memory, at least 1 GiB) still refuses hundreds of gigabytes.
        var byDefault = Assert.Throws<LightNetException>(() =>
        {
            using IInferenceSession session = Backend.Parse(backend).CreateSession(HugeResize());
        });
        Assert.Equal(ErrorCode.ResourceLimit, byDefault.Code);
    }

    [Fact]
    public void CpuSimdChecksItsOwnPlanAgainstTheBudget()
    {
        // Within the estimate's reach but not the plan's: a budget between the two is refused by the plan's numbers.
        var b = new ModelBuilder("relu", 17);
        b.AddInput("x", TensorElementType.Float, 1, 1024, 1024);
        b.AddNode("Relu", ["x"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float, 1, 1024, 1024);
        Model model = b.Build();
        var e = Assert.Throws<LightNetException>(() =>
        {
            using IInferenceSession session = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { MemoryBudgetBytes = 1 << 20 });
        });
        Assert.Equal(ErrorCode.ResourceLimit, e.Code);
        using IInferenceSession fits = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { MemoryBudgetBytes = 64 << 20 });
        Assert.Throws<LightNetException>(() => new InferenceOptions { MemoryBudgetBytes = 0 }.Validate());
    }

    [Fact]
    public void LongReluChainCompilesInLinearTime()
    {
        // 2,000 nodes took 25 s (the memory planner was cubic in the length of an in-place chain); now well under a second.
        var b = new ModelBuilder("relu_chain", 17);
        b.AddInput("x", TensorElementType.Float, 1, 16);
        string previous = "x";
        for (int i = 0; i < 2000; i++)
        {
            string next = i == 1999 ? "y" : $"v{i}";
            b.AddNode("Relu", [previous], [next], $"relu{i}");
            previous = next;
        }

        b.AddOutput("y", TensorElementType.Float, 1, 16);
        Model model = b.Build();
        var clock = Stopwatch.StartNew();
        using IInferenceSession session = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { Threads = 1 });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"2,000-node chain took {clock.Elapsed}");
        var x = TensorBuffer.FromFloats(Enumerable.Range(-8, 16).Select(i => (float)i).ToArray(), [1, 16]);
        float[] y = session.Run(new Dictionary<string, TensorBuffer> { ["x"] = x })["y"].ToFloatArray();
        Assert.Equal(Enumerable.Range(-8, 16).Select(i => (float)Math.Max(i, 0)), y);
    }

    [Fact]
    public void ManyGraphInputsCompileInLinearTime()
    {
        // 30,000 graph inputs took more than 60 s (input lookups and the planner's free list were quadratic).
        var b = new ModelBuilder("many_inputs", 17);
        for (int i = 0; i < 30_000; i++)
        {
            b.AddInput($"x{i}", TensorElementType.Float, 1);
        }

        b.AddNode("Relu", ["x0"], ["y"], "relu");
        b.AddOutput("y", TensorElementType.Float, 1);
        Model model = b.Build();
        var clock = Stopwatch.StartNew();
        using IInferenceSession session = Backend.Parse("cpu-simd").CreateSession(model, new InferenceOptions { Threads = 1 });
        var inputs = session.Inputs.ToDictionary(i => i.Name, i => TensorBuffer.FromFloats([-1f], [1]));
        inputs["x0"] = TensorBuffer.FromFloats([2f], [1]);
        Assert.Equal(2f, session.Run(inputs)["y"].ToFloatArray()[0]);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"30,000 inputs took {clock.Elapsed}"); // ~3 s idle, 17 s on a loaded 2-core machine
    }
}
