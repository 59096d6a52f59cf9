namespace LightNet.Zoo.Architectures;

/// <summary>torchvision's squeezenet1_0 and squeezenet1_1 (Fire modules, conv classifier).</summary>
internal static class SqueezeNet
{
    public static string Build(NetworkBuilder nb, string version)
    {
        string x = nb.Input();
        using (nb.Scope("features"))
        {
            if (version == "1_0")
            {
                x = nb.MaxPool(nb.Relu(nb.Conv(x, 96, 7, stride: 2, bias: true)), 3, 2, ceilMode: true);
                x = Fire(nb, x, 16, 64, 64);
                x = Fire(nb, x, 16, 64, 64);
                x = Fire(nb, x, 32, 128, 128);
                x = nb.MaxPool(x, 3, 2, ceilMode: true);
                x = Fire(nb, x, 32, 128, 128);
                x = Fire(nb, x, 48, 192, 192);
                x = Fire(nb, x, 48, 192, 192);
                x = Fire(nb, x, 64, 256, 256);
                x = nb.MaxPool(x, 3, 2, ceilMode: true);
                x = Fire(nb, x, 64, 256, 256);
            }
            else
            {
                x = nb.MaxPool(nb.Relu(nb.Conv(x, 64, 3, stride: 2, bias: true)), 3, 2, ceilMode: true);
                x = Fire(nb, x, 16, 64, 64);
                x = Fire(nb, x, 16, 64, 64);
                x = nb.MaxPool(x, 3, 2, ceilMode: true);
                x = Fire(nb, x, 32, 128, 128);
                x = Fire(nb, x, 32, 128, 128);
                x = nb.MaxPool(x, 3, 2, ceilMode: true);
                x = Fire(nb, x, 48, 192, 192);
                x = Fire(nb, x, 48, 192, 192);
                x = Fire(nb, x, 64, 256, 256);
                x = Fire(nb, x, 64, 256, 256);
            }
        }

        using (nb.Scope("classifier"))
        {
            // Dropout is an identity at inference; the final conv maps to classes, then global average pooling.
            x = nb.Relu(nb.Conv(x, nb.Classes, 1, bias: true));
            return nb.Flatten(nb.GlobalAveragePool(x));
        }
    }

    private static string Fire(NetworkBuilder nb, string x, long squeeze, long expand1x1, long expand3x3)
    {
        string s = nb.Relu(nb.Conv(x, squeeze, 1, bias: true));
        string e1 = nb.Relu(nb.Conv(s, expand1x1, 1, bias: true));
        string e3 = nb.Relu(nb.Conv(s, expand3x3, 3, padding: 1, bias: true));
        return nb.Concat(e1, e3);
    }
}
