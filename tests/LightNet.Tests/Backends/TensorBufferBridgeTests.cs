using System.Numerics.Tensors;
using LightNet.Backends;
using LightNet.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace LightNet.Tests.Backends;

/// <summary>TensorBuffer to and from System.Numerics.Tensors and ONNX Runtime's OrtValue.</summary>
public class TensorBufferBridgeTests
{
    [Fact]
    public void TensorSpan_view_shares_the_buffers_memory()
    {
        TensorBuffer buffer = TensorBuffer.FromFloats([1, 2, 3, 4, 5, 6], [2, 3]);
        TensorSpan<float> view = buffer.AsTensorSpan<float>();
        Assert.Equal([2, 3], view.Lengths.ToArray());
        view[1, 2] = 60f;
        Assert.Equal(60f, buffer.AsSpan<float>()[5]);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => buffer.AsTensorSpan<Half>()).Code);
    }

    [Fact]
    public void Tensor_round_trip_copies_values_and_shape()
    {
        Tensor<float> tensor = TensorBuffer.FromFloats([1, 2, 3, 4, 5, 6], [3, 2]).ToTensor<float>();
        Assert.Equal([3, 2], tensor.Lengths.ToArray());
        TensorBuffer back = TensorBuffer.FromTensor<float>(tensor.AsReadOnlyTensorSpan());
        Assert.Equal(TensorElementType.Float, back.ElementType);
        Assert.Equal([3L, 2L], back.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], back.ToFloatArray());
        Tensor<long> longs = Tensor.Create(new long[] { 7, 8 }, [2]);
        Assert.Equal(TensorElementType.Int64, TensorBuffer.FromTensor<long>(longs.AsReadOnlyTensorSpan()).ElementType);
    }

    [Fact]
    public void OrtValue_view_reads_the_buffer_in_place_and_copies_back()
    {
        TensorBuffer buffer = TensorBuffer.FromFloats([1, 2, 3, 4], [1, 4]);
        using OrtValue value = buffer.AsOrtValue();
        buffer.AsSpan<float>()[0] = 10f; // no copy: the value sees the change
        Assert.Equal(10f, value.GetTensorDataAsSpan<float>()[0]);
        TensorBuffer copy = TensorBuffer.FromOrtValue(value);
        Assert.Equal([1L, 4L], copy.Shape);
        Assert.Equal([10f, 2, 3, 4], copy.ToFloatArray());
    }
}
