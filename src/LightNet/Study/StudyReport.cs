namespace LightNet.Study;

/// <summary>Writes a study's three files into a folder: <c>index.html</c>, <c>summary.md</c> and <c>results.json</c>.</summary>
public static class StudyReport
{
    /// <summary>The HTML page's file name.</summary>
    public const string HtmlFile = "index.html";

    /// <summary>The Markdown summary's file name.</summary>
    public const string MarkdownFile = "summary.md";

    /// <summary>The results file's name.</summary>
    public const string JsonFile = "results.json";

    /// <summary>
    /// Checks that <paramref name="folder"/> can take the report before minutes of measuring: creates it when missing and writes
    /// (then deletes) a probe file.
    /// </summary>
    /// <param name="folder">The output folder.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path or one that is a file;
    /// <see cref="ErrorCode.IOFailure"/> naming the folder when it cannot be created or written.</exception>
    public static void EnsureWritable(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (string.IsNullOrWhiteSpace(folder))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, "The output folder is empty.");
        }

        if (File.Exists(folder))
        {
            throw new LightNetException(ErrorCode.InvalidArgument, $"The output folder '{folder}' is a file.");
        }

        string probe = Path.Combine(folder, $".lightnet-write-test-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(folder);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNetException(ErrorCode.IOFailure, $"Cannot write the report into '{folder}': {e.Message}", e);
        }
    }

    /// <summary>Writes the three files, each atomically (a temporary file, then a rename).</summary>
    /// <param name="results">The results.</param>
    /// <param name="folder">The output folder (created when missing).</param>
    /// <param name="comparison">A comparison with an earlier study to include, or null.</param>
    /// <returns>The paths written: HTML, Markdown, JSON.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for a bad folder;
    /// <see cref="ErrorCode.IOFailure"/> naming the file that cannot be written.</exception>
    public static IReadOnlyList<string> Write(StudyResults results, string folder, StudyComparison? comparison = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        EnsureWritable(folder);
        string json = Path.Combine(folder, JsonFile), md = Path.Combine(folder, MarkdownFile), html = Path.Combine(folder, HtmlFile);
        StudyJson.Write(results, json);
        StudyMarkdown.Write(results, md, comparison);
        StudyHtml.Write(results, html, comparison);
        return [html, md, json];
    }
}
