using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace LightNet.Tests.Backends;

/// <summary>TensorBuffer.Wrap: the caller's memory, used in place by the buffer, ONNX Runtime and both engines.</summary>
public class TensorBufferWrapTests
{
    [Fact]
    public void Wrapped_memory_is_shared_both_ways_without_copying()
    {
        float[] values = [1, 2, 3, 4, 5, 6];
        TensorBuffer buffer = TensorBuffer.Wrap(values.AsMemory(), [2, 3]);
        Assert.True(buffer.WrapsCallerMemory);
        Assert.False(TensorBuffer.Allocate(TensorElementType.Float, [2]).WrapsCallerMemory);
        Assert.Equal(TensorElementType.Float, buffer.ElementType);
        Assert.Equal(24, buffer.ByteCount);
        values[4] = 50f;
        Assert.Equal(50f, buffer.AsSpan<float>()[4]);
        buffer.AsSpan<float>()[0] = -1f;
        Assert.Equal(-1f, values[0]);

        using OrtValue value = buffer.AsOrtValue();
        values[1] = 20f; // the OrtValue reads the caller's array in place
        Assert.Equal([-1f, 20, 3, 4, 50, 6], value.GetTensorDataAsSpan<float>().ToArray());

        byte[] bytes = [1, 2, 3];
        TensorBuffer slice = TensorBuffer.Wrap(bytes.AsMemory(1, 2), [2]);
        Assert.Equal(TensorElementType.UInt8, slice.ElementType);
        Assert.Equal([2, 3], slice.Bytes.ToArray());
    }

    [Fact]
    public void Wrap_checks_the_element_count_and_type()
    {
        Assert.Equal(ErrorCode.InvalidShape, Assert.Throws<LightNetException>(() => TensorBuffer.Wrap(new float[5].AsMemory(), [2, 3])).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => TensorBuffer.Wrap(new decimal[1].AsMemory(), [1])).Code);
    }

    [Theory]
    [InlineData("cpu-simd")]
    [InlineData("ort-cpu")]
    public void Sessions_read_and_write_wrapped_buffers_in_place(string backend)
    {
        using IInferenceSession session = Backend.Parse(backend).CreateSession(TestModels.Tiny());
        float[] input = [1, 2, 3, 4];
        float[] output = new float[3];
        TensorBuffer x = TensorBuffer.Wrap(input.AsMemory(), [1, 4]);
        using IPreparedRun run = session.Prepare(new Dictionary<string, TensorBuffer> { ["x"] = x });
        run.Run();
        float[] expected = run.Outputs["y"].ToFloatArray();
        // y = relu(x·w + b), w[i, j] = 0.1 (3i + j), b = [0.5, -0.5, 0]
        Assert.Equal([6.5f, 6.5f, 8f], expected.Select(v => MathF.Round(v, 4)).ToArray());

        input[0] = 0; // the next run reads the caller's array as it is now
        run.Run();
        Assert.Equal([6.5f, 6.4f, 7.8f], run.Outputs["y"].ToFloatArray().Select(v => MathF.Round(v, 4)).ToArray());

        IReadOnlyDictionary<string, TensorBuffer> outputs = session.Run(new Dictionary<string, TensorBuffer> { ["x"] = x });
        outputs["y"].AsSpan<float>().CopyTo(output);
        Assert.Equal([6.5f, 6.4f, 7.8f], output.Select(v => MathF.Round(v, 4)).ToArray());
    }
}
