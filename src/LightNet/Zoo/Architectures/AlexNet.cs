namespace LightNet.Zoo.Architectures;

/// <summary>torchvision's alexnet (the single-tower "one weird trick" variant, no LRN).</summary>
internal static class AlexNet
{
    public static string Build(NetworkBuilder nb)
    {
        string x = nb.Input();
        using (nb.Scope("features"))
        {
            x = nb.MaxPool(nb.Relu(nb.Conv(x, 64, 11, stride: 4, padding: 2, bias: true)), 3, 2);
            x = nb.MaxPool(nb.Relu(nb.Conv(x, 192, 5, padding: 2, bias: true)), 3, 2);
            x = nb.Relu(nb.Conv(x, 384, 3, padding: 1, bias: true));
            x = nb.Relu(nb.Conv(x, 256, 3, padding: 1, bias: true));
            x = nb.MaxPool(nb.Relu(nb.Conv(x, 256, 3, padding: 1, bias: true)), 3, 2);
        }

        using (nb.Scope("classifier"))
        {
            x = nb.Flatten(nb.AdaptiveAveragePool(x, 6));
            x = nb.Relu(nb.Linear(x, 4096));
            x = nb.Relu(nb.Linear(x, 4096));
            return nb.Linear(x, nb.Classes);
        }
    }
}
