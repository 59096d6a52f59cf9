using System.ComponentModel;
using LightNet.Profiling;

namespace LightNet.Reports;

/// <summary>The former name of <see cref="ComparisonJson"/> and <see cref="ComparisonMarkdown"/>, kept so that code written for it still compiles.</summary>
[Obsolete("Use ComparisonJson (Format, Write, Parse, Read) and ComparisonMarkdown (Format, Write).")]
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ComparisonExport
{
    /// <summary>Use <see cref="ComparisonJson.Format"/>.</summary>
    /// <param name="report">The comparison.</param>
    /// <returns>The JSON text.</returns>
    [Obsolete("Use ComparisonJson.Format.")]
    public static string ToJson(ComparisonReport report) => ComparisonJson.Format(report);

    /// <summary>Use <see cref="ComparisonJson.Write"/>.</summary>
    /// <param name="report">The comparison.</param>
    /// <param name="path">Destination path.</param>
    [Obsolete("Use ComparisonJson.Write.")]
    public static void WriteJson(ComparisonReport report, string path) => ComparisonJson.Write(report, path);

    /// <summary>Use <see cref="ComparisonJson.Parse(string)"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The comparison.</returns>
    [Obsolete("Use ComparisonJson.Parse.")]
    public static ComparisonReport FromJson(string json) => ComparisonJson.Parse(json);

    /// <summary>Use <see cref="ComparisonJson.Read"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The comparison.</returns>
    [Obsolete("Use ComparisonJson.Read.")]
    public static ComparisonReport ReadJson(string path) => ComparisonJson.Read(path);

    /// <summary>Use <see cref="ComparisonMarkdown.Format"/>.</summary>
    /// <param name="report">The comparison.</param>
    /// <returns>The Markdown text.</returns>
    [Obsolete("Use ComparisonMarkdown.Format.")]
    public static string ToMarkdown(ComparisonReport report) => ComparisonMarkdown.Format(report);

    /// <summary>Use <see cref="ComparisonMarkdown.Write"/>.</summary>
    /// <param name="report">The comparison.</param>
    /// <param name="path">Destination path.</param>
    [Obsolete("Use ComparisonMarkdown.Write.")]
    public static void WriteMarkdown(ComparisonReport report, string path) => ComparisonMarkdown.Write(report, path);
}
