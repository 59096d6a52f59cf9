namespace LightNet.Zoo.Architectures;

/// <summary>
/// MobileNet v1 (Howard et al. 2017) as keras.applications.MobileNet lays it out: a 3×3/2 stem, 13
/// depthwise-separable blocks (depthwise 3×3 + BN + ReLU6, pointwise 1×1 + BN + ReLU6), global average pooling
/// and a 1×1 convolution with bias as the classifier. Channels are int(c·α) as Keras computes them.
/// </summary>
internal static class MobileNetV1
{
    /// <summary>Pointwise output channels (at α = 1) and depthwise strides of the 13 separable blocks.</summary>
    private static readonly (long Channels, long Stride)[] s_blocks =
    [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
        (1024, 2), (1024, 1),
    ];

    /// <summary>Keras' BatchNormalization epsilon in keras.applications.mobilenet.</summary>
    private const float Epsilon = 1e-3f;

    public static string Build(NetworkBuilder nb)
    {
        double alpha = nb.Width;
        string x = nb.Input();
        using (nb.Scope("conv1"))
        {
            // Keras pads (0, 1) on each spatial axis and uses 'valid'; symmetric padding 1 gives the same output size.
            x = nb.ConvBnAct(x, Scale(32, alpha), kernel: 3, stride: 2, padding: 1, activation: Activation.Relu6,
                epsilon: Epsilon);
        }

        for (int i = 0; i < s_blocks.Length; i++)
        {
            (long channels, long stride) = s_blocks[i];
            using (nb.Scope($"conv_dw_{i + 1}"))
            {
                x = nb.ConvBnAct(x, nb.Channels(x), kernel: 3, stride: stride, padding: 1, groups: nb.Channels(x),
                    activation: Activation.Relu6, epsilon: Epsilon);
            }

            using (nb.Scope($"conv_pw_{i + 1}"))
            {
                x = nb.ConvBnAct(x, Scale(channels, alpha), kernel: 1, activation: Activation.Relu6, epsilon: Epsilon);
            }
        }

        using (nb.Scope("head"))
        {
            // GlobalAveragePooling2D (keepdims), Dropout (identity at inference), Conv2D 1×1 with bias, Reshape.
            x = nb.Conv(nb.GlobalAveragePool(x), nb.Classes, kernel: 1, bias: true);
            return nb.Flatten(x);
        }
    }

    /// <summary>Keras' int(filters * alpha).</summary>
    private static long Scale(long channels, double alpha) => (long)(channels * alpha);
}
