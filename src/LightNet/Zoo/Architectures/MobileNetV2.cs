using LightNet.Onnx;

namespace LightNet.Zoo.Architectures;

/// <summary>
/// torchvision's mobilenet_v2 (Sandler et al. 2018): inverted residual blocks with linear bottlenecks, channels
/// rounded by _make_divisible(c · width, 8), ReLU6 as Clip, and a Linear classifier.
/// </summary>
internal static class MobileNetV2
{
    /// <summary>torchvision's inverted_residual_setting: expansion t, channels c, repeats n, first stride s.</summary>
    private static readonly (long T, long C, int N, long S)[] s_setting =
    [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ];

    public static string Build(NetworkBuilder nb)
    {
        double width = nb.Width;
        long inputChannels = MakeDivisible(32 * width);
        long lastChannels = MakeDivisible(1280 * Math.Max(1.0, width));
        string x = nb.Input();
        int index = 0;
        using (nb.Scope($"features.{index++}"))
        {
            x = nb.ConvBnAct(x, inputChannels, kernel: 3, stride: 2, activation: Activation.Relu6);
        }

        foreach ((long t, long c, int n, long s) in s_setting)
        {
            long outputChannels = MakeDivisible(c * width);
            for (int i = 0; i < n; i++)
            {
                using (nb.Scope($"features.{index++}"))
                {
                    x = InvertedResidual(nb, x, outputChannels, i == 0 ? s : 1, t);
                }
            }
        }

        using (nb.Scope($"features.{index}"))
        {
            x = nb.ConvBnAct(x, lastChannels, kernel: 1, activation: Activation.Relu6);
        }

        using (nb.Scope("classifier"))
        {
            // adaptive_avg_pool2d to 1×1, flatten, Dropout (identity at inference), Linear.
            return nb.Linear(nb.Flatten(nb.GlobalAveragePool(x)), nb.Classes);
        }
    }

    private static string InvertedResidual(NetworkBuilder nb, string x, long outputChannels, long stride, long expandRatio)
    {
        long inputChannels = nb.Channels(x);
        long hidden = inputChannels * expandRatio;
        string y = x;
        if (expandRatio != 1)
        {
            y = nb.ConvBnAct(y, hidden, kernel: 1, activation: Activation.Relu6);
        }

        y = nb.ConvBnAct(y, hidden, kernel: 3, stride: stride, groups: hidden, activation: Activation.Relu6);
        y = nb.BatchNorm(nb.Conv(y, outputChannels, kernel: 1));
        return stride == 1 && inputChannels == outputChannels ? nb.Add(x, y) : y;
    }

    /// <summary>
    /// torchvision's _make_divisible(v, 8): the nearest multiple of 8 (at least 8), raised by 8 when rounding
    /// down would lose more than 10 %.
    /// </summary>
    internal static long MakeDivisible(double value, long divisor = 8)
    {
        long rounded = Math.Max(divisor, (long)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}
