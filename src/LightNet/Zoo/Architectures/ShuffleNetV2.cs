namespace LightNet.Zoo.Architectures;

/// <summary>
/// torchvision's shufflenet_v2_x0_5 / x1_0 / x1_5 / x2_0 (Ma et al. 2018), the size chosen by the width
/// multiplier: channel split, two branches, concatenation and a channel shuffle of 2 groups in every unit.
/// </summary>
internal static class ShuffleNetV2
{
    private static readonly int[] s_repeats = [4, 8, 4];

    public static string Build(NetworkBuilder nb)
    {
        long[] channels = nb.Width switch
        {
            0.5 => [24, 48, 96, 192, 1024],
            1.0 => [24, 116, 232, 464, 1024],
            1.5 => [24, 176, 352, 704, 1024],
            2.0 => [24, 244, 488, 976, 2048],
            _ => throw new LightNetException(ErrorCode.InvalidArgument,
                $"ShuffleNet v2 is defined for widths 0.5, 1.0, 1.5 and 2.0, not {nb.Width}."),
        };

        string x = nb.Input();
        using (nb.Scope("conv1"))
        {
            x = nb.ConvBnAct(x, channels[0], kernel: 3, stride: 2, padding: 1);
        }

        x = nb.MaxPool(x, kernel: 3, stride: 2, padding: 1);
        for (int stage = 0; stage < s_repeats.Length; stage++)
        {
            for (int i = 0; i < s_repeats[stage]; i++)
            {
                using (nb.Scope($"stage{stage + 2}.{i}"))
                {
                    x = InvertedResidual(nb, x, channels[stage + 1], i == 0 ? 2 : 1);
                }
            }
        }

        using (nb.Scope("conv5"))
        {
            x = nb.ConvBnAct(x, channels[^1], kernel: 1);
        }

        using (nb.Scope("fc"))
        {
            // x.mean([2, 3]) then Linear.
            return nb.Linear(nb.Flatten(nb.GlobalAveragePool(x)), nb.Classes);
        }
    }

    private static string InvertedResidual(NetworkBuilder nb, string x, long outputChannels, long stride)
    {
        long branchChannels = outputChannels / 2;
        string left, right;
        if (stride == 1)
        {
            long half = nb.Channels(x) / 2;
            string[] halves = nb.Split(x, half, half);
            left = halves[0];
            right = Branch2(nb, halves[1], branchChannels, stride);
        }
        else
        {
            long inputChannels = nb.Channels(x);
            using (nb.Scope("branch1"))
            {
                left = nb.BatchNorm(nb.Conv(x, inputChannels, kernel: 3, stride: stride, padding: 1, groups: inputChannels));
                left = nb.ConvBnAct(left, branchChannels, kernel: 1);
            }

            right = Branch2(nb, x, branchChannels, stride);
        }

        return nb.ChannelShuffle(nb.Concat(left, right), 2);
    }

    private static string Branch2(NetworkBuilder nb, string x, long branchChannels, long stride)
    {
        using (nb.Scope("branch2"))
        {
            string y = nb.ConvBnAct(x, branchChannels, kernel: 1);
            y = nb.BatchNorm(nb.Conv(y, branchChannels, kernel: 3, stride: stride, padding: 1, groups: branchChannels));
            return nb.ConvBnAct(y, branchChannels, kernel: 1);
        }
    }
}
