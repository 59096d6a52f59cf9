namespace LightNet.Zoo.Architectures;

/// <summary>
/// torchvision's googlenet (Inception v1) as it runs at inference: no auxiliary heads, no input transform,
/// no dropout. Every BasicConv2d is conv (no bias) → BatchNorm (eps 0.001) → ReLU.
/// </summary>
internal static class GoogLeNet
{
    private const float Epsilon = 0.001f;

    public static string Build(NetworkBuilder nb)
    {
        string x = nb.Input();
        using (nb.Scope("stem"))
        {
            x = Basic(nb, x, 64, 7, stride: 2, padding: 3);
            x = nb.MaxPool(x, kernel: 3, stride: 2, ceilMode: true);
            x = Basic(nb, x, 64, 1);
            x = Basic(nb, x, 192, 3, padding: 1);
            x = nb.MaxPool(x, kernel: 3, stride: 2, ceilMode: true);
        }

        x = Inception(nb, x, "inception3a", 64, 96, 128, 16, 32, 32);
        x = Inception(nb, x, "inception3b", 128, 128, 192, 32, 96, 64);
        x = nb.MaxPool(x, kernel: 3, stride: 2, ceilMode: true);
        x = Inception(nb, x, "inception4a", 192, 96, 208, 16, 48, 64);
        x = Inception(nb, x, "inception4b", 160, 112, 224, 24, 64, 64);
        x = Inception(nb, x, "inception4c", 128, 128, 256, 24, 64, 64);
        x = Inception(nb, x, "inception4d", 112, 144, 288, 32, 64, 64);
        x = Inception(nb, x, "inception4e", 256, 160, 320, 32, 128, 128);
        x = nb.MaxPool(x, kernel: 2, stride: 2, ceilMode: true);
        x = Inception(nb, x, "inception5a", 256, 160, 320, 32, 128, 128);
        x = Inception(nb, x, "inception5b", 384, 192, 384, 48, 128, 128);

        using (nb.Scope("head"))
        {
            return nb.Linear(nb.Flatten(nb.GlobalAveragePool(x)), nb.Classes);
        }
    }

    private static string Basic(NetworkBuilder nb, string x, long outChannels, long kernel, long stride = 1, long padding = 0) =>
        nb.ConvBnAct(x, outChannels, kernel, stride, padding, epsilon: Epsilon);

    /// <summary>
    /// Four branches joined along channels: 1×1; 1×1 → 3×3; 1×1 → "5×5" (a 3×3 in torchvision, padding 1);
    /// max pool 3/1 pad 1 → 1×1.
    /// </summary>
    private static string Inception(NetworkBuilder nb, string x, string name, long ch1x1, long ch3x3Reduce, long ch3x3,
        long ch5x5Reduce, long ch5x5, long poolProjection)
    {
        using (nb.Scope(name))
        {
            string branch1 = Basic(nb, x, ch1x1, 1);
            string branch2 = Basic(nb, Basic(nb, x, ch3x3Reduce, 1), ch3x3, 3, padding: 1);
            string branch3 = Basic(nb, Basic(nb, x, ch5x5Reduce, 1), ch5x5, 3, padding: 1);
            string branch4 = Basic(nb, nb.MaxPool(x, kernel: 3, stride: 1, padding: 1, ceilMode: true), poolProjection, 1);
            return nb.Concat(branch1, branch2, branch3, branch4);
        }
    }
}
