namespace LightNet.Zoo.Architectures;

/// <summary>
/// torchvision's inception_v3 as it runs at inference: no AuxLogits head, no input transform, no dropout.
/// Every BasicConv2d is conv (no bias) → BatchNorm (eps 0.001) → ReLU; the branch average pools are
/// F.avg_pool2d(3, stride 1, padding 1), which counts the padding.
/// </summary>
internal static class InceptionV3
{
    private const float Epsilon = 0.001f;

    public static string Build(NetworkBuilder nb)
    {
        string x = nb.Input();
        using (nb.Scope("stem"))
        {
            x = Basic(nb, x, 32, 3, stride: 2);          // Conv2d_1a_3x3
            x = Basic(nb, x, 32, 3);                     // Conv2d_2a_3x3
            x = Basic(nb, x, 64, 3, padding: 1);         // Conv2d_2b_3x3
            x = nb.MaxPool(x, kernel: 3, stride: 2);
            x = Basic(nb, x, 80, 1);                     // Conv2d_3b_1x1
            x = Basic(nb, x, 192, 3);                    // Conv2d_4a_3x3
            x = nb.MaxPool(x, kernel: 3, stride: 2);
        }

        x = InceptionA(nb, x, "Mixed_5b", 32);
        x = InceptionA(nb, x, "Mixed_5c", 64);
        x = InceptionA(nb, x, "Mixed_5d", 64);
        x = InceptionB(nb, x, "Mixed_6a");
        x = InceptionC(nb, x, "Mixed_6b", 128);
        x = InceptionC(nb, x, "Mixed_6c", 160);
        x = InceptionC(nb, x, "Mixed_6d", 160);
        x = InceptionC(nb, x, "Mixed_6e", 192);
        x = InceptionD(nb, x, "Mixed_7a");
        x = InceptionE(nb, x, "Mixed_7b");
        x = InceptionE(nb, x, "Mixed_7c");

        using (nb.Scope("head"))
        {
            return nb.Linear(nb.Flatten(nb.GlobalAveragePool(x)), nb.Classes);
        }
    }

    private static string Basic(NetworkBuilder nb, string x, long outChannels, long kernel, long stride = 1, long padding = 0) =>
        nb.ConvBnAct(x, outChannels, kernel, stride, padding, epsilon: Epsilon);

    /// <summary>A BasicConv2d with a rectangular kernel (1×n or n×1), stride 1.</summary>
    private static string Basic(NetworkBuilder nb, string x, long outChannels, (long H, long W) kernel, (long H, long W) padding) =>
        nb.Activate(nb.BatchNorm(nb.Conv(x, outChannels, kernel, (1, 1), padding), Epsilon), Activation.Relu);

    private static string PoolBranch(NetworkBuilder nb, string x, long outChannels) =>
        Basic(nb, nb.AveragePool(x, kernel: 3, stride: 1, padding: 1, countIncludePad: true), outChannels, 1);

    private static string InceptionA(NetworkBuilder nb, string x, string name, long poolFeatures)
    {
        using (nb.Scope(name))
        {
            string branch1x1 = Basic(nb, x, 64, 1);
            string branch5x5 = Basic(nb, Basic(nb, x, 48, 1), 64, 5, padding: 2);
            string branch3x3dbl = Basic(nb, Basic(nb, Basic(nb, x, 64, 1), 96, 3, padding: 1), 96, 3, padding: 1);
            string branchPool = PoolBranch(nb, x, poolFeatures);
            return nb.Concat(branch1x1, branch5x5, branch3x3dbl, branchPool);
        }
    }

    private static string InceptionB(NetworkBuilder nb, string x, string name)
    {
        using (nb.Scope(name))
        {
            string branch3x3 = Basic(nb, x, 384, 3, stride: 2);
            string branch3x3dbl = Basic(nb, Basic(nb, Basic(nb, x, 64, 1), 96, 3, padding: 1), 96, 3, stride: 2);
            string branchPool = nb.MaxPool(x, kernel: 3, stride: 2);
            return nb.Concat(branch3x3, branch3x3dbl, branchPool);
        }
    }

    private static string InceptionC(NetworkBuilder nb, string x, string name, long c7)
    {
        using (nb.Scope(name))
        {
            string branch1x1 = Basic(nb, x, 192, 1);

            string branch7x7 = Basic(nb, x, c7, 1);
            branch7x7 = Basic(nb, branch7x7, c7, (1, 7), (0, 3));
            branch7x7 = Basic(nb, branch7x7, 192, (7, 1), (3, 0));

            string branch7x7dbl = Basic(nb, x, c7, 1);
            branch7x7dbl = Basic(nb, branch7x7dbl, c7, (7, 1), (3, 0));
            branch7x7dbl = Basic(nb, branch7x7dbl, c7, (1, 7), (0, 3));
            branch7x7dbl = Basic(nb, branch7x7dbl, c7, (7, 1), (3, 0));
            branch7x7dbl = Basic(nb, branch7x7dbl, 192, (1, 7), (0, 3));

            string branchPool = PoolBranch(nb, x, 192);
            return nb.Concat(branch1x1, branch7x7, branch7x7dbl, branchPool);
        }
    }

    private static string InceptionD(NetworkBuilder nb, string x, string name)
    {
        using (nb.Scope(name))
        {
            string branch3x3 = Basic(nb, Basic(nb, x, 192, 1), 320, 3, stride: 2);

            string branch7x7x3 = Basic(nb, x, 192, 1);
            branch7x7x3 = Basic(nb, branch7x7x3, 192, (1, 7), (0, 3));
            branch7x7x3 = Basic(nb, branch7x7x3, 192, (7, 1), (3, 0));
            branch7x7x3 = Basic(nb, branch7x7x3, 192, 3, stride: 2);

            string branchPool = nb.MaxPool(x, kernel: 3, stride: 2);
            return nb.Concat(branch3x3, branch7x7x3, branchPool);
        }
    }

    private static string InceptionE(NetworkBuilder nb, string x, string name)
    {
        using (nb.Scope(name))
        {
            string branch1x1 = Basic(nb, x, 320, 1);

            string branch3x3 = Basic(nb, x, 384, 1);
            branch3x3 = nb.Concat(
                Basic(nb, branch3x3, 384, (1, 3), (0, 1)),
                Basic(nb, branch3x3, 384, (3, 1), (1, 0)));

            string branch3x3dbl = Basic(nb, Basic(nb, x, 448, 1), 384, 3, padding: 1);
            branch3x3dbl = nb.Concat(
                Basic(nb, branch3x3dbl, 384, (1, 3), (0, 1)),
                Basic(nb, branch3x3dbl, 384, (3, 1), (1, 0)));

            string branchPool = PoolBranch(nb, x, 192);
            return nb.Concat(branch1x1, branch3x3, branch3x3dbl, branchPool);
        }
    }
}
