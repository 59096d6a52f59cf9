namespace LightNet.Zoo.Architectures;

/// <summary>torchvision's vgg16 (configuration D, no batch norm).</summary>
internal static class Vgg
{
    private static readonly int[] s_config16 = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    public static string Build16(NetworkBuilder nb)
    {
        string x = nb.Input();
        int layer = 0;
        using (nb.Scope("features"))
        {
            foreach (int channels in s_config16)
            {
                x = channels == 0
                    ? nb.MaxPool(x, kernel: 2, stride: 2)
                    : nb.Relu(nb.Conv(x, channels, 3, padding: 1, bias: true));
                layer++;
            }
        }

        using (nb.Scope("classifier"))
        {
            // Dropout layers are identities at inference and are not exported.
            x = nb.Flatten(nb.AdaptiveAveragePool(x, 7));
            x = nb.Relu(nb.Linear(x, 4096));
            x = nb.Relu(nb.Linear(x, 4096));
            return nb.Linear(x, nb.Classes);
        }
    }
}
