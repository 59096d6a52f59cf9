using System.Text;
using LightNet.Reports;

namespace LightNet.Study;

/// <summary>The study as GitHub-flavoured Markdown (<c>summary.md</c>): the same tables as the HTML page, without the charts.</summary>
public static class StudyMarkdown
{
    /// <summary>Writes <see cref="Format"/>'s text to a file atomically (a temporary file in the same folder, then a rename).</summary>
    /// <param name="results">The results.</param>
    /// <param name="path">Destination path.</param>
    /// <param name="comparison">A comparison with an earlier study, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path;
    /// <see cref="ErrorCode.IOFailure"/> naming the path when it cannot be written.</exception>
    public static void Write(StudyResults results, string path, StudyComparison? comparison = null) =>
        ReportJson.WriteText(Format(results, comparison), path);

    /// <summary>Formats the study.</summary>
    /// <param name="results">The results.</param>
    /// <param name="comparison">A comparison with an earlier study, or null.</param>
    /// <returns>The Markdown text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null.</exception>
    public static string Format(StudyResults results, StudyComparison? comparison = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        md.Append("# LightNet study\n\n");
        md.Append("**Environment:** ").Append(ReportMarkdown.Inline(ReportMarkdown.EnvironmentLine(results.Environment))).Append("\n\n");
        md.Append("**Settings:** ").Append(ReportMarkdown.Inline(StudyTables.Settings(results))).Append(".\n\n");
        md.Append("**Accuracy:** ").Append(ReportMarkdown.Inline(StudyTables.AccuracyStatement(results))).Append("\n\n");
        if (results.Command.Length > 0)
        {
            md.Append("**Command:** `").Append(ReportMarkdown.Inline(results.Command).Replace("`", "'", StringComparison.Ordinal)).Append("`\n\n");
        }

        AppendTables(md, StudyTables.Build(results, comparison));
        md.Append("## Recommendation: why this model\n\n").Append(ReportMarkdown.Inline(Recommendation(results))).Append('\n');
        return md.ToString();
    }

    /// <summary>Each table as a "##" section with its note.</summary>
    internal static void AppendTables(StringBuilder md, IEnumerable<StudyTable> tables)
    {
        foreach (StudyTable table in tables)
        {
            md.Append("## ").Append(ReportMarkdown.Inline(table.Title)).Append("\n\n").Append(ReportMarkdown.Inline(table.Note)).Append("\n\n");
            md.Append('|');
            foreach (string h in table.Headers)
            {
                md.Append(' ').Append(ReportMarkdown.Cell(h.TrimStart('>'))).Append(" |");
            }

            md.Append("\n|");
            foreach (string h in table.Headers)
            {
                md.Append(h.StartsWith('>') ? "---:|" : "---|");
            }

            md.Append('\n');
            foreach (string[] row in table.Rows)
            {
                md.Append('|');
                foreach (string cell in row)
                {
                    md.Append(' ').Append(ReportMarkdown.Cell(cell)).Append(" |");
                }

                md.Append('\n');
            }

            md.Append('\n');
        }
    }

    internal static string Recommendation(StudyResults results) =>
        results.Recommendation?.Summary ?? "No model was measured, so there is nothing to recommend.";
}
