namespace LightNet.Postprocessing;

/// <summary>
/// Class names of a classifier, by output index. <see cref="Default"/> holds the 1000 ImageNet-1k (ILSVRC 2012)
/// classes in the standard order that torchvision, Keras, ONNX Model Zoo and Caffe models share.
/// </summary>
public sealed class ImageNetLabels : IReadOnlyList<string>
{
    private const string ResourceName = "LightNet.Resources.imagenet_labels.txt";
    private static readonly Lazy<ImageNetLabels> s_default = new(Load);
    private readonly string[] _names;
    private readonly string[] _synonyms;

    private ImageNetLabels(string[] synonyms)
    {
        _synonyms = synonyms;
        _names = synonyms.Select(s => s.Split(',')[0].Trim()).ToArray();
    }

    /// <summary>The 1000 ImageNet-1k classes, read once from the embedded resource.</summary>
    public static ImageNetLabels Default => s_default.Value;

    /// <summary>Number of classes.</summary>
    public int Count => _names.Length;

    /// <summary>The short name of class <paramref name="index"/> (the first synonym: "tabby", "coffee mug").</summary>
    /// <param name="index">Class index, 0 to <see cref="Count"/> − 1.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an index out of range.</exception>
    public string this[int index] => (uint)index < (uint)_names.Length
        ? _names[index]
        : throw new LightNetException(ErrorCode.InvalidArgument, $"Class index {index} is outside 0–{_names.Length - 1}.");

    /// <summary>All synonyms of class <paramref name="index"/>, as in the list ("tabby, tabby cat").</summary>
    /// <param name="index">Class index, 0 to <see cref="Count"/> − 1.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an index out of range.</exception>
    public string Synonyms(int index) => (uint)index < (uint)_synonyms.Length
        ? _synonyms[index]
        : throw new LightNetException(ErrorCode.InvalidArgument, $"Class index {index} is outside 0–{_synonyms.Length - 1}.");

    /// <summary>The index of the class whose short name or one of whose synonyms is <paramref name="name"/> (case-insensitive), or −1.</summary>
    /// <param name="name">A class name.</param>
    public int IndexOf(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return -1;
        }

        string wanted = name.Trim();
        int exact = Array.FindIndex(_names, n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase));
        return exact >= 0
            ? exact
            : Array.FindIndex(_synonyms, s => s.Split(',').Any(p => string.Equals(p.Trim(), wanted, StringComparison.OrdinalIgnoreCase)));
    }

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_names).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private static ImageNetLabels Load()
    {
        using Stream stream = typeof(ImageNetLabels).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new LightNetException(ErrorCode.InvalidOperation, $"The embedded resource {ResourceName} is missing from {typeof(ImageNetLabels).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        string[] lines = reader.ReadToEnd()
            .Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToArray();
        if (lines.Length != 1000)
        {
            throw new LightNetException(ErrorCode.InvalidOperation, $"The embedded ImageNet label list has {lines.Length} classes, not 1000.");
        }

        return new ImageNetLabels(lines);
    }
}
