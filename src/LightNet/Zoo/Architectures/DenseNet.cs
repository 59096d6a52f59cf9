namespace LightNet.Zoo.Architectures;

/// <summary>
/// torchvision's densenet121: growth rate 32, blocks (6, 12, 24, 16), bottleneck width 4 × growth, 64 initial
/// features, transitions halving the channels. Each dense layer's output is joined to the running feature map by
/// one two-input Concat, so a block is a chain of Concats, each as wide as all the features before it.
/// </summary>
internal static class DenseNet
{
    private const long GrowthRate = 32;
    private const long BottleneckSize = 4;
    private const long InitialFeatures = 64;
    private static readonly int[] s_blocks = [6, 12, 24, 16];

    public static string Build(NetworkBuilder nb)
    {
        string x = nb.Input();
        using (nb.Scope("features"))
        {
            using (nb.Scope("stem"))
            {
                x = nb.ConvBnAct(x, InitialFeatures, kernel: 7, stride: 2, padding: 3);
                x = nb.MaxPool(x, kernel: 3, stride: 2, padding: 1);
            }

            for (int block = 0; block < s_blocks.Length; block++)
            {
                for (int layer = 0; layer < s_blocks[block]; layer++)
                {
                    using (nb.Scope($"denseblock{block + 1}.denselayer{layer + 1}"))
                    {
                        x = nb.Concat(x, DenseLayer(nb, x));
                    }
                }

                if (block < s_blocks.Length - 1)
                {
                    using (nb.Scope($"transition{block + 1}"))
                    {
                        x = nb.Conv(nb.Relu(nb.BatchNorm(x)), nb.Channels(x) / 2, 1);
                        x = nb.AveragePool(x, kernel: 2, stride: 2);
                    }
                }
            }

            using (nb.Scope("norm5"))
            {
                x = nb.Relu(nb.BatchNorm(x));
            }
        }

        using (nb.Scope("classifier"))
        {
            return nb.Linear(nb.Flatten(nb.GlobalAveragePool(x)), nb.Classes);
        }
    }

    /// <summary>BN → ReLU → 1×1 conv (4 × growth) → BN → ReLU → 3×3 conv (growth): the new features only.</summary>
    private static string DenseLayer(NetworkBuilder nb, string x)
    {
        string y = nb.Conv(nb.Relu(nb.BatchNorm(x)), BottleneckSize * GrowthRate, 1);
        return nb.Conv(nb.Relu(nb.BatchNorm(y)), GrowthRate, 3, padding: 1);
    }
}
