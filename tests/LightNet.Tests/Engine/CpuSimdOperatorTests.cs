using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine;

/// <summary>The operators the zoo does not use (or uses rarely), in one graph checked against ONNX Runtime.</summary>
public class CpuSimdOperatorTests
{
    private static readonly Random s_random = new(21);

    private static TensorData Floats(string name, params long[] dims)
    {
        int n = (int)dims.Aggregate(1L, (p, d) => p * d);
        return TensorData.FromFloats(name, dims, Enumerable.Range(0, n).Select(_ => (s_random.NextSingle() * 2) - 1).ToArray());
    }

    private static NodeAttribute Ints(string name, params long[] v) => NodeAttribute.Ints(name, v);

    [Fact]
    public void OperatorMixMatchesOnnxRuntime()
    {
        var b = new ModelBuilder("ops", 17);
        b.AddInput("x", TensorElementType.Float, 1, 4, 8, 8);
        b.AddInitializer(Floats("wt", 4, 3, 3, 3));
        b.AddInitializer(Floats("bt", 3));
        b.AddInitializer(Floats("bn_s", 3));
        b.AddInitializer(Floats("bn_b", 3));
        b.AddInitializer(Floats("bn_m", 3));
        b.AddInitializer(TensorData.FromFloats("bn_v", [3], [0.5f, 1.5f, 2f]));
        b.AddInitializer(TensorData.FromInt64s("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1]));
        b.AddInitializer(TensorData.FromInt64s("starts", [2], [1, 1]));
        b.AddInitializer(TensorData.FromInt64s("ends", [2], [17, -1]));
        b.AddInitializer(TensorData.FromInt64s("axes", [2], [2, 3]));
        b.AddInitializer(TensorData.FromFloats("half", [4], [1, 1, 0.5f, 0.5f]));
        b.AddInitializer(TensorData.FromInt64s("sizes", [4], [1, 4, 16, 16]));
        b.AddInitializer(Floats("slope", 7, 1, 1));
        b.AddInitializer(TensorData.FromInt64s("split", [2], [3, 4]));
        b.AddInitializer(TensorData.FromFloats("two", [], [2f]));
        b.AddInitializer(Floats("shift", 3, 1, 1));
        b.AddInitializer(TensorData.FromInt64s("zero", [], [0]));
        b.AddInitializer(TensorData.FromInt64s("axis0", [1], [0]));
        b.AddInitializer(TensorData.FromInt64s("minus1", [1], [-1]));
        b.AddInitializer(Floats("w_mm", 3, 5));
        b.AddInitializer(Floats("w_gemm", 192, 6));
        b.AddInitializer(Floats("c_gemm", 6));
        b.AddInitializer(TensorData.FromFloats("lo", [], [-0.5f]));
        b.AddInitializer(TensorData.FromFloats("hi", [], [0.5f]));
        b.AddInitializer(TensorData.FromInt64s("cos_shape", [2], [1, 6]));
        b.AddInitializer(TensorData.FromInt64s("pick", [2], [4, 0]));

        b.AddNode("ConvTranspose", ["x", "wt", "bt"], ["ct"], "deconv", Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), Ints("output_padding", 1, 1));
        b.AddNode("BatchNormalization", ["ct", "bn_s", "bn_b", "bn_m", "bn_v"], ["bn"], "bn");
        b.AddNode("LeakyRelu", ["bn"], ["lr"], "leaky", NodeAttribute.Float("alpha", 0.1f));
        b.AddNode("Pad", ["lr", "pads"], ["pd"], "pad", NodeAttribute.String("mode", "reflect"));
        b.AddNode("Slice", ["pd", "starts", "ends", "axes"], ["sl"], "slice");
        b.AddNode("Resize", ["sl", "", "half"], ["rs"], "resize_linear", NodeAttribute.String("mode", "linear"));
        b.AddNode("Resize", ["x", "", "", "sizes"], ["rn"], "resize_nearest", NodeAttribute.String("mode", "nearest"));
        b.AddNode("MaxPool", ["rn"], ["mp"], "pool", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        b.AddNode("Concat", ["rs", "mp"], ["cat"], "concat", NodeAttribute.Int("axis", 1));
        b.AddNode("LRN", ["cat"], ["lrn"], "lrn", NodeAttribute.Int("size", 3));
        b.AddNode("PRelu", ["lrn", "slope"], ["pr"], "prelu");
        b.AddNode("Split", ["pr", "split"], ["sa_in", "tb_in"], "split", NodeAttribute.Int("axis", 1));
        b.AddNode("Sigmoid", ["sa_in"], ["sa"], "sigmoid");
        b.AddNode("Tanh", ["tb_in"], ["tb"], "tanh");
        b.AddNode("ReduceMean", ["tb"], ["rm"], "mean", Ints("axes", 1));
        b.AddNode("Mul", ["sa", "rm"], ["mul"], "mul");
        b.AddNode("Div", ["mul", "two"], ["div"], "div");
        b.AddNode("Sub", ["div", "shift"], ["sub"], "sub");
        b.AddNode("HardSigmoid", ["sub"], ["hs"], "hard_sigmoid");
        b.AddNode("Sum", ["hs", "sa", "mul"], ["sum"], "sum");
        b.AddNode("Shape", ["sum"], ["sh"], "shape");
        b.AddNode("Gather", ["sh", "zero"], ["g"], "gather_dim");
        b.AddNode("Unsqueeze", ["g", "axis0"], ["un"], "unsqueeze");
        b.AddNode("Concat", ["un", "minus1"], ["new_shape"], "concat_shape", NodeAttribute.Int("axis", 0));
        b.AddNode("Reshape", ["sum", "new_shape"], ["flat"], "reshape");
        b.AddNode("Transpose", ["sum"], ["tr"], "nhwc", Ints("perm", 0, 2, 3, 1));
        b.AddNode("MatMul", ["tr", "w_mm"], ["mm"], "matmul_const");
        b.AddNode("Softmax", ["mm"], ["sm"], "softmax");
        b.AddNode("Gather", ["sm", "pick"], ["out2"], "gather_rt", NodeAttribute.Int("axis", 3));
        b.AddNode("Transpose", ["tr"], ["trt"], "swap", Ints("perm", 0, 1, 3, 2));
        b.AddNode("MatMul", ["tr", "trt"], ["mm2"], "matmul_rt");
        b.AddNode("LogSoftmax", ["mm2"], ["out3"], "log_softmax", NodeAttribute.Int("axis", 1));
        b.AddNode("Gemm", ["flat", "w_gemm", "c_gemm"], ["gemm"], "gemm", NodeAttribute.Float("alpha", 0.5f), NodeAttribute.Float("beta", 2f));
        b.AddNode("Clip", ["gemm", "lo", "hi"], ["clip"], "clip");
        b.AddNode("Identity", ["clip"], ["id"], "identity");
        b.AddNode("Dropout", ["id"], ["dr"], "dropout");
        b.AddNode("ConstantOfShape", ["cos_shape"], ["cos"], "fill", NodeAttribute.Tensor("value", TensorData.FromFloats("v", [1], [0.25f])));
        b.AddNode("Add", ["dr", "cos"], ["out1"], "add_fill");
        b.AddNode("GlobalMaxPool", ["lrn"], ["out4"], "global_max");
        b.AddNode("AveragePool", ["pr"], ["out5"], "avg_pool", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1),
            NodeAttribute.Int("count_include_pad", 1), NodeAttribute.Int("ceil_mode", 1));
        foreach (string o in new[] { "out1", "out2", "out3", "out4", "out5" })
        {
            b.AddOutput(o, TensorElementType.Float);
        }

        EngineTestSupport.AssertMatchesOrt(b.Build());
    }
}
