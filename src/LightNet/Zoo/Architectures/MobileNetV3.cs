namespace LightNet.Zoo.Architectures;

/// <summary>
/// torchvision's mobilenet_v3_small and mobilenet_v3_large (Howard et al. 2019): inverted residuals with
/// squeeze-and-excitation (Hardsigmoid gate), HardSwish in the later blocks, BN epsilon 0.001, and a
/// Linear + HardSwish + Linear classifier.
/// </summary>
internal static class MobileNetV3
{
    private const float Epsilon = 1e-3f;

    /// <summary>torchvision's InvertedResidualConfig: input, kernel, expanded, output, SE, HardSwish, stride.</summary>
    private readonly record struct Block(long Input, long Kernel, long Expanded, long Output, bool Se, bool HardSwish, long Stride);

    private static readonly Block[] s_large =
    [
        new(16, 3, 16, 16, false, false, 1),
        new(16, 3, 64, 24, false, false, 2),
        new(24, 3, 72, 24, false, false, 1),
        new(24, 5, 72, 40, true, false, 2),
        new(40, 5, 120, 40, true, false, 1),
        new(40, 5, 120, 40, true, false, 1),
        new(40, 3, 240, 80, false, true, 2),
        new(80, 3, 200, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 480, 112, true, true, 1),
        new(112, 3, 672, 112, true, true, 1),
        new(112, 5, 672, 160, true, true, 2),
        new(160, 5, 960, 160, true, true, 1),
        new(160, 5, 960, 160, true, true, 1),
    ];

    private static readonly Block[] s_small =
    [
        new(16, 3, 16, 16, true, false, 2),
        new(16, 3, 72, 24, false, false, 2),
        new(24, 3, 88, 24, false, false, 1),
        new(24, 5, 96, 40, true, true, 2),
        new(40, 5, 240, 40, true, true, 1),
        new(40, 5, 240, 40, true, true, 1),
        new(40, 5, 120, 48, true, true, 1),
        new(48, 5, 144, 48, true, true, 1),
        new(48, 5, 288, 96, true, true, 2),
        new(96, 5, 576, 96, true, true, 1),
        new(96, 5, 576, 96, true, true, 1),
    ];

    public static string Build(NetworkBuilder nb, bool large)
    {
        Block[] blocks = large ? s_large : s_small;
        long lastChannels = MobileNetV2.MakeDivisible(large ? 1280 : 1024);
        string x = nb.Input();
        int index = 0;
        using (nb.Scope($"features.{index++}"))
        {
            x = nb.ConvBnAct(x, blocks[0].Input, kernel: 3, stride: 2, activation: Activation.HardSwish, epsilon: Epsilon);
        }

        foreach (Block block in blocks)
        {
            using (nb.Scope($"features.{index++}"))
            {
                x = InvertedResidual(nb, x, block);
            }
        }

        using (nb.Scope($"features.{index}"))
        {
            x = nb.ConvBnAct(x, 6 * blocks[^1].Output, kernel: 1, activation: Activation.HardSwish, epsilon: Epsilon);
        }

        using (nb.Scope("classifier"))
        {
            // avgpool, flatten, Linear, Hardswish, Dropout (identity at inference), Linear.
            x = nb.HardSwish(nb.Linear(nb.Flatten(nb.GlobalAveragePool(x)), lastChannels));
            return nb.Linear(x, nb.Classes);
        }
    }

    private static string InvertedResidual(NetworkBuilder nb, string x, Block block)
    {
        Activation activation = block.HardSwish ? Activation.HardSwish : Activation.Relu;
        string y = x;
        if (block.Expanded != block.Input)
        {
            y = nb.ConvBnAct(y, block.Expanded, kernel: 1, activation: activation, epsilon: Epsilon);
        }

        y = nb.ConvBnAct(y, block.Expanded, kernel: block.Kernel, stride: block.Stride, groups: block.Expanded,
            activation: activation, epsilon: Epsilon);
        if (block.Se)
        {
            y = SqueezeExcitation(nb, y, MobileNetV2.MakeDivisible(block.Expanded / 4));
        }

        y = nb.ConvBnAct(y, block.Output, kernel: 1, activation: Activation.None, epsilon: Epsilon);
        return block.Stride == 1 && block.Input == block.Output ? nb.Add(x, y) : y;
    }

    /// <summary>torchvision's SqueezeExcitation with a Hardsigmoid gate: pool, 1×1 conv, ReLU, 1×1 conv, gate, scale.</summary>
    private static string SqueezeExcitation(NetworkBuilder nb, string x, long squeezeChannels)
    {
        string s = nb.GlobalAveragePool(x);
        s = nb.Relu(nb.Conv(s, squeezeChannels, kernel: 1, bias: true));
        s = nb.HardSigmoid(nb.Conv(s, nb.Channels(x), kernel: 1, bias: true));
        return nb.Mul(s, x);
    }
}
