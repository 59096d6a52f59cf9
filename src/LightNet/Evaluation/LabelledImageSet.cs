using System.Globalization;
using System.Text.RegularExpressions;
using LightNet.Postprocessing;

namespace LightNet.Evaluation;

/// <summary>One image of a labelled set and its class index.</summary>
/// <param name="Path">The image file.</param>
/// <param name="Label">The class index the model should rank first.</param>
public sealed record LabelledImage(string Path, int Label);

/// <summary>How <see cref="LabelledImageSet.Load"/> reads a labelled set.</summary>
public sealed record LabelledSetOptions
{
    /// <summary>Default options: every image, labels by index, ImageNet name, or WordNet id in sorted order when all 1000 are present.</summary>
    public static LabelledSetOptions Default { get; } = new();

    /// <summary>
    /// A file with one WordNet id per line in class order (ImageNet's <c>LOC_synset_mapping.txt</c> or <c>synsets.txt</c>; anything after the
    /// id on a line is ignored). Needed when the set names classes by WordNet id but holds fewer than all 1000 of them.
    /// </summary>
    public string? SynsetFile { get; init; }

    /// <summary>At most this many images, taken in turn from each class so that a subset covers every class; null for all.</summary>
    public int? MaxImages { get; init; }
}

/// <summary>
/// A labelled image set for measuring accuracy: an ImageNet-style folder with one sub-folder per class (named by WordNet id such as
/// <c>n01440764</c>, by class index such as <c>0</c>, or by ImageNet class name), or a CSV file of <c>file,label</c> lines (relative
/// paths are taken from the CSV's folder; a first line <c>file,label</c> is skipped).
/// </summary>
/// <example>
/// <code>
/// LabelledImageSet set = LabelledImageSet.Load("imagenet/val", new LabelledSetOptions { MaxImages = 5000 });
/// AccuracyResult r = AccuracyEvaluator.Evaluate(model, set);
/// Console.WriteLine($"top-1 {r.Top1Percent:F2} %, top-5 {r.Top5Percent:F2} %");
/// </code>
/// </example>
public sealed class LabelledImageSet
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp" };
    private static readonly Regex WordNetId = new("^n[0-9]{8}$", RegexOptions.CultureInvariant);

    private LabelledImageSet(string source, IReadOnlyList<LabelledImage> images, int total)
    {
        Source = source;
        Images = images;
        TotalImages = total;
    }

    /// <summary>The folder or CSV file the set was read from.</summary>
    public string Source { get; }

    /// <summary>The images, in the order they are evaluated.</summary>
    public IReadOnlyList<LabelledImage> Images { get; }

    /// <summary>Images in the source before <see cref="LabelledSetOptions.MaxImages"/> was applied.</summary>
    public int TotalImages { get; }

    /// <summary>Distinct labels among <see cref="Images"/>.</summary>
    public int Classes => Images.Select(i => i.Label).Distinct().Count();

    /// <summary>The largest label, so that a model with fewer outputs can be refused before it runs.</summary>
    public int MaxLabel => Images.Count == 0 ? -1 : Images.Max(i => i.Label);

    /// <summary>Makes a set from images already labelled.</summary>
    /// <param name="source">A name for reports.</param>
    /// <param name="images">The images.</param>
    /// <returns>The set.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for no images or a negative label.</exception>
    public static LabelledImageSet FromImages(string source, IReadOnlyList<LabelledImage> images)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The labelled set '{source}' holds no image.");
        }

        if (images.FirstOrDefault(i => i is null || i.Label < 0) is { } bad)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The labelled set '{source}' has an image with a negative label ('{bad.Path}').");
        }

        return new LabelledImageSet(source, [.. images], images.Count);
    }

    /// <summary>Reads a labelled folder or CSV file.</summary>
    /// <param name="path">A folder with one sub-folder per class, or a CSV file of <c>file,label</c> lines.</param>
    /// <param name="options">Synset file and image limit; null for <see cref="LabelledSetOptions.Default"/>.</param>
    /// <returns>The set.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the path is missing or unreadable;
    /// <see cref="ErrorCode.InvalidArgument"/> naming the folder, CSV line or label that cannot be read as a class, and for a set with no image.</exception>
    public static LabelledImageSet Load(string path, LabelledSetOptions? options = null)
    {
        options ??= LabelledSetOptions.Default;
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The labelled set path is empty.");
        }

        if (options.MaxImages is < 1)
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The image limit must be at least 1, not {options.MaxImages}.");
        }

        IReadOnlyList<string>? synsets = options.SynsetFile is null ? null : ReadSynsets(options.SynsetFile);
        try
        {
            List<(string File, string Token, string Where)> raw = Directory.Exists(path) ? FromFolder(path)
                : File.Exists(path) ? FromCsv(path)
                : throw new LightNetException(ErrorCode.IOFailure, $"The labelled set '{path}' is neither a folder nor a file.");
            if (raw.Count == 0)
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"The labelled set '{path}' holds no image (expected one sub-folder per class with .jpg/.png/... files, or a CSV of file,label lines).");
            }

            Func<string, string, int> resolve = Resolver(raw.Select(r => r.Token).Distinct().ToList(), synsets, path);
            List<LabelledImage> images = raw.Select(r => new LabelledImage(r.File, resolve(r.Token, r.Where))).ToList();
            return new LabelledImageSet(path, Limit(images, options.MaxImages), images.Count);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read the labelled set '{path}': {e.Message}", e);
        }
    }

    private static List<(string, string, string)> FromFolder(string folder)
    {
        var list = new List<(string, string, string)>();
        foreach (string dir in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
        {
            string token = Path.GetFileName(dir);
            foreach (string file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => Extensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal))
            {
                list.Add((file, token, $"folder '{dir}'"));
            }
        }

        return list;
    }

    private static List<(string, string, string)> FromCsv(string csv)
    {
        string root = Path.GetDirectoryName(Path.GetFullPath(csv))!;
        var list = new List<(string, string, string)>();
        string[] lines = File.ReadAllLines(csv);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#') || (i == 0 && line.Replace(" ", "", StringComparison.Ordinal).Equals("file,label", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            int comma = line.LastIndexOf(',');
            if (comma <= 0 || comma == line.Length - 1)
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"'{csv}' line {i + 1}: expected 'file,label', found '{line}'.");
            }

            string file = line[..comma].Trim().Trim('"');
            list.Add((Path.IsPathRooted(file) ? file : Path.Combine(root, file), line[(comma + 1)..].Trim().Trim('"'), $"'{csv}' line {i + 1}"));
        }

        return list;
    }

    /// <summary>How a folder name or CSV label becomes a class index: an integer is the index; a WordNet id is its line in the synset file,
    /// or its place in sorted order when all 1000 ImageNet ids are present; anything else is an ImageNet class name.</summary>
    private static Func<string, string, int> Resolver(List<string> tokens, IReadOnlyList<string>? synsets, string source)
    {
        Dictionary<string, int>? byId = synsets?.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        List<string> ids = tokens.Where(t => WordNetId.IsMatch(t)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (byId is null && ids.Count > 0)
        {
            if (ids.Count != ImageNetLabels.Default.Count)
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"The labelled set '{source}' names {ids.Count} classes by WordNet id (such as '{ids[0]}'), not all {ImageNetLabels.Default.Count}: "
                    + "their class indices cannot be told from sorted order. Give the synset file (one WordNet id per line in class order, such as "
                    + "ImageNet's LOC_synset_mapping.txt) with --synsets.");
            }

            byId = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        }

        return (token, where) =>
        {
            if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                return index;
            }

            if (WordNetId.IsMatch(token))
            {
                return byId!.TryGetValue(token, out int i) ? i
                    : throw new LightNetException(ErrorCode.InvalidArgument, $"{where}: WordNet id '{token}' is not in the synset file.");
            }

            int named = ImageNetLabels.Default.IndexOf(token);
            return named >= 0 ? named
                : throw new LightNetException(ErrorCode.InvalidArgument,
                    $"{where}: label '{token}' is neither a class index, a WordNet id (n01440764) nor an ImageNet class name.");
        };
    }

    private static IReadOnlyList<string> ReadSynsets(string path)
    {
        try
        {
            List<string> ids = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0)
                .Select(l => l.Split([' ', '\t', ','], 2)[0]).ToList();
            string? bad = ids.FirstOrDefault(id => !WordNetId.IsMatch(id));
            if (ids.Count == 0 || bad is not null)
            {
                throw new LightNetException(ErrorCode.InvalidArgument,
                    $"The synset file '{path}' must list one WordNet id (n01440764) per line{(bad is null ? "; it is empty" : $"; found '{bad}'")}.");
            }

            return ids;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot read the synset file '{path}': {e.Message}", e);
        }
    }

    /// <summary>The first <paramref name="max"/> images taken in turn from each class (round robin), in the set's order within a class.</summary>
    private static List<LabelledImage> Limit(List<LabelledImage> images, int? max)
    {
        if (max is not int n || n >= images.Count)
        {
            return images;
        }

        List<Queue<LabelledImage>> byClass = images.GroupBy(i => i.Label).OrderBy(g => g.Key).Select(g => new Queue<LabelledImage>(g)).ToList();
        var taken = new List<LabelledImage>(n);
        while (taken.Count < n)
        {
            foreach (Queue<LabelledImage> q in byClass.Where(q => q.Count > 0))
            {
                if (taken.Count == n) break;
                taken.Add(q.Dequeue());
            }
        }

        return taken;
    }
}
