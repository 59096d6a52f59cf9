namespace LightNet.Zoo.Architectures;

/// <summary>torchvision's resnet18 / resnet50 (v1.5: the stride sits in the 3×3 conv of a bottleneck).</summary>
internal static class ResNet
{
    public static string Build(NetworkBuilder nb, int depth)
    {
        (bool bottleneck, int[] blocks) = depth switch
        {
            18 => (false, new[] { 2, 2, 2, 2 }),
            34 => (false, new[] { 3, 4, 6, 3 }),
            50 => (true, new[] { 3, 4, 6, 3 }),
            101 => (true, new[] { 3, 4, 23, 3 }),
            _ => throw new ArgumentOutOfRangeException(nameof(depth)),
        };
        int expansion = bottleneck ? 4 : 1;
        string x = nb.Input();
        using (nb.Scope("stem"))
        {
            x = nb.ConvBnAct(x, 64, kernel: 7, stride: 2, padding: 3);
            x = nb.MaxPool(x, kernel: 3, stride: 2, padding: 1);
        }

        long[] widths = [64, 128, 256, 512];
        for (int stage = 0; stage < 4; stage++)
        {
            for (int b = 0; b < blocks[stage]; b++)
            {
                using (nb.Scope($"layer{stage + 1}.{b}"))
                {
                    int stride = stage > 0 && b == 0 ? 2 : 1;
                    long width = widths[stage];
                    string identity = x;
                    string y = bottleneck
                        ? nb.BatchNorm(nb.Conv(nb.ConvBnAct(nb.ConvBnAct(x, width, 1), width, 3, stride), width * expansion, 1))
                        : nb.BatchNorm(nb.Conv(nb.ConvBnAct(x, width, 3, stride), width, 3, padding: 1));
                    if (stride != 1 || nb.Channels(x) != width * expansion)
                    {
                        identity = nb.BatchNorm(nb.Conv(x, width * expansion, 1, stride));
                    }

                    x = nb.Relu(nb.Add(y, identity));
                }
            }
        }

        using (nb.Scope("head"))
        {
            return nb.Linear(nb.Flatten(nb.GlobalAveragePool(x)), nb.Classes);
        }
    }
}
