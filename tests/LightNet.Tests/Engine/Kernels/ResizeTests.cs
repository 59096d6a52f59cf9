using LightNet.Engine.Kernels;
using LightNet.Onnx;
using Xunit;

namespace LightNet.Tests.Engine.Kernels;

public unsafe class ResizeTests
{
    private static readonly Dictionary<ResizeCoordinates, string> CoordinateNames = new()
    {
        [ResizeCoordinates.HalfPixel] = "half_pixel",
        [ResizeCoordinates.PytorchHalfPixel] = "pytorch_half_pixel",
        [ResizeCoordinates.AlignCorners] = "align_corners",
        [ResizeCoordinates.Asymmetric] = "asymmetric",
        [ResizeCoordinates.TfHalfPixelForNearest] = "tf_half_pixel_for_nearest",
        [ResizeCoordinates.HalfPixelSymmetric] = "half_pixel_symmetric",
    };

    private static readonly Dictionary<ResizeNearest, string> NearestNames = new()
    {
        [ResizeNearest.RoundPreferFloor] = "round_prefer_floor",
        [ResizeNearest.RoundPreferCeil] = "round_prefer_ceil",
        [ResizeNearest.Floor] = "floor",
        [ResizeNearest.Ceil] = "ceil",
    };

    private static float[] Run(float[] x, int planes, int h, int w, int oh, int ow, float sh, float sw, ResizeMode mode, ResizeCoordinates c, ResizeNearest n)
    {
        var kernel = ResizeKernel.Create(planes, h, w, oh, ow, sh, sw, mode, c, n);
        using var px = new OpBuffer(x);
        using var py = new OpBuffer(planes * oh * ow);
        using var pool = new WorkerPool(2);
        kernel.Run(px.Pointer, py.Pointer, pool);
        return py.ToArray();
    }

    public static TheoryData<string, string, string, float, float> Cases()
    {
        var data = new TheoryData<string, string, string, float, float>();
        foreach (var c in new[] { "HalfPixel", "PytorchHalfPixel", "AlignCorners", "Asymmetric" })
        {
            data.Add("Linear", c, "RoundPreferFloor", 2f, 1.5f);
            data.Add("Linear", c, "RoundPreferFloor", 0.6f, 0.5f);
        }

        foreach (var c in new[] { "HalfPixel", "AlignCorners", "Asymmetric", "PytorchHalfPixel" })
        {
            foreach (var n in new[] { "RoundPreferFloor", "RoundPreferCeil", "Floor", "Ceil" })
            {
                data.Add("Nearest", c, n, 2f, 1.75f);
            }
        }

        data.Add("Nearest", "Asymmetric", "Floor", 3f, 3f);
        data.Add("Nearest", "HalfPixel", "RoundPreferFloor", 0.5f, 0.7f);
        data.Add("Linear", "HalfPixelSymmetric", "RoundPreferFloor", 1.7f, 2.3f);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AgreesWithOnnxRuntimeGivenScales(string modeName, string coordName, string nearestName, float sh, float sw)
    {
        var mode = Enum.Parse<ResizeMode>(modeName);
        var coords = Enum.Parse<ResizeCoordinates>(coordName);
        var nearest = Enum.Parse<ResizeNearest>(nearestName);
        int[] dims = [1, 3, 6, 5];
        float[] x = OpTest.Random(new Random(7), OpTest.Count(dims));
        int oh = (int)MathF.Floor(6 * sh), ow = (int)MathF.Floor(5 * sw);
        float[] scales = [1, 1, sh, sw];
        long opset = coords == ResizeCoordinates.HalfPixelSymmetric ? 19 : 13;
        var attrs = new List<NodeAttribute>
        {
            NodeAttribute.String("mode", mode == ResizeMode.Linear ? "linear" : "nearest"),
            NodeAttribute.String("coordinate_transformation_mode", CoordinateNames[coords]),
            NodeAttribute.String("nearest_mode", NearestNames[nearest]),
        };
        float[] expected = OpTest.Ort("Resize", x, dims, opset, b =>
        {
            b.AddInitializer(TensorData.FromFloats("roi", [0], []));   // opset 11 needs the roi input present
            b.AddInitializer(TensorData.FromFloats("scales", [4], scales));
        }, ["roi", "scales"], [.. attrs]);
        Assert.Equal(3 * oh * ow, expected.Length);
        OpTest.Close(expected, Run(x, 3, 6, 5, oh, ow, sh, sw, mode, coords, nearest), 1e-5f, 1e-6f, $"{modeName} {coordName} {nearestName}");
    }

    [Theory]
    [InlineData("Linear", "HalfPixel", 9, 7)]
    [InlineData("Linear", "AlignCorners", 1, 11)]
    [InlineData("Linear", "PytorchHalfPixel", 1, 3)]
    [InlineData("Nearest", "Asymmetric", 13, 4)]
    public void AgreesWithOnnxRuntimeGivenSizes(string modeName, string coordName, int oh, int ow)
    {
        var mode = Enum.Parse<ResizeMode>(modeName);
        var coords = Enum.Parse<ResizeCoordinates>(coordName);
        int[] dims = [2, 2, 6, 5];
        float[] x = OpTest.Random(new Random(oh), OpTest.Count(dims));
        float[] expected = OpTest.Ort("Resize", x, dims, 13, b => b.AddInitializer(TensorData.FromInt64s("sizes", [4], [2, 2, oh, ow])), ["", "", "sizes"],
            NodeAttribute.String("mode", mode == ResizeMode.Linear ? "linear" : "nearest"),
            NodeAttribute.String("coordinate_transformation_mode", CoordinateNames[coords]));
        OpTest.Close(expected, Run(x, 4, 6, 5, oh, ow, oh / 6f, ow / 5f, mode, coords, ResizeNearest.RoundPreferFloor), 1e-5f, 1e-6f, $"{modeName} {coordName} sizes");
    }

    [Fact]
    public void Opset10IsAsymmetric()
    {
        int[] dims = [1, 1, 3, 4];
        float[] x = OpTest.Random(new Random(1), 12);
        foreach (var (mode, name) in new[] { (ResizeMode.Nearest, "nearest"), (ResizeMode.Linear, "linear") })
        {
            float[] expected = OpTest.Ort("Resize", x, dims, 10, b => b.AddInitializer(TensorData.FromFloats("scales", [4], [1, 1, 2, 1.5f])), ["scales"],
                NodeAttribute.String("mode", name));
            OpTest.Close(expected, Run(x, 1, 3, 4, 6, 6, 2, 1.5f, mode, ResizeCoordinates.Asymmetric, ResizeNearest.Floor), 1e-5f, 1e-6f, $"opset 10 {name}");
        }
    }

    [Fact]
    public void TfHalfPixelForNearestMatchesSpecFormula()
    {
        // ONNX Runtime rejects this (pre-opset-13) mode, so check the spec formula directly: x = (o + 0.5) / scale.
        float[] x = OpTest.Random(new Random(4), 2 * 5 * 4);
        float[] y = Run(x, 2, 5, 4, 9, 7, 1.8f, 1.75f, ResizeMode.Nearest, ResizeCoordinates.TfHalfPixelForNearest, ResizeNearest.Floor);
        for (int p = 0; p < 2; p++)
        {
            for (int oh = 0; oh < 9; oh++)
            {
                for (int ow = 0; ow < 7; ow++)
                {
                    int r = Math.Min((int)Math.Floor((oh + 0.5) / 1.8), 4), c = Math.Min((int)Math.Floor((ow + 0.5) / 1.75), 3);
                    Assert.Equal(x[(((p * 5) + r) * 4) + c], y[(((p * 9) + oh) * 7) + ow]);
                }
            }
        }
    }

    [Fact]
    public void NearestRoundingModes()
    {
        Assert.Equal(2, ResizeKernel.Round(2.5f, ResizeNearest.RoundPreferFloor));
        Assert.Equal(3, ResizeKernel.Round(2.5f, ResizeNearest.RoundPreferCeil));
        Assert.Equal(3, ResizeKernel.Round(2.6f, ResizeNearest.RoundPreferFloor));
        Assert.Equal(-1, ResizeKernel.Round(-0.5f, ResizeNearest.RoundPreferFloor));
        Assert.Equal(2, ResizeKernel.Round(2.9f, ResizeNearest.Floor));
        Assert.Equal(3, ResizeKernel.Round(2.1f, ResizeNearest.Ceil));
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => ResizeKernel.Create(1, 2, 2, 0, 4, 1, 2, ResizeMode.Nearest, ResizeCoordinates.HalfPixel)).Code);
    }
}
