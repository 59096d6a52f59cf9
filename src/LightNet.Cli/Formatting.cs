using System.Globalization;
using LightNet.Profiling;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LightNet.Cli;

/// <summary>Numbers and table cells as the command line prints them (invariant culture).</summary>
internal static class Formatting
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Ms(double value) => Fixed(value, "F3");

    public static string Count(long value) => value.ToString("N0", Inv);

    public static string Mib(long bytes) => Fixed(bytes / (1024.0 * 1024.0), "F1") + " MiB";

    /// <summary>MACs in M below a billion, else in G: "349.2 M", "1.814 G".</summary>
    public static string Macs(long macs) => macs >= 1_000_000_000 ? Fixed(macs / 1e9, "F3") + " G" : Fixed(macs / 1e6, "F1") + " M";

    /// <summary>Parameters in millions: "3.505 M".</summary>
    public static string Params(long parameters) => Fixed(parameters / 1e6, "F3") + " M";

    public static string Interval(ConfidenceInterval ci, string format = "F3") =>
        double.IsFinite(ci.Lower) && double.IsFinite(ci.Upper) && ci.Level > 0 ? $"[{Fixed(ci.Lower, format)}, {Fixed(ci.Upper, format)}]" : "n/a";

    /// <summary>"2.31× [2.10, 2.55]"; the baseline is "1.00×".</summary>
    public static string SpeedUp(ComparisonCell cell, bool isBaseline)
    {
        if (isBaseline)
        {
            return "1.00×";
        }

        if (double.IsNaN(cell.SpeedUp))
        {
            return "n/a";
        }

        string interval = Interval(cell.SpeedUpCi, "F2");
        return Fixed(cell.SpeedUp, "F2") + "×" + (interval == "n/a" ? "" : " " + interval);
    }

    public static string Fixed(double value, string format) =>
        double.IsNaN(value) ? "n/a"
        : double.IsPositiveInfinity(value) ? "∞"
        : double.IsNegativeInfinity(value) ? "-∞"
        : value.ToString(format, Inv);

    /// <summary>Adds a row of plain text cells (no markup is interpreted).</summary>
    public static void AddTextRow(this Table table, params string[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c)).ToArray());

    /// <summary>A table without colours whose named columns are right-aligned.</summary>
    public static Table NewTable(string? title, params string[] columns)
    {
        var table = new Table { Border = TableBorder.Rounded };
        if (title is not null)
        {
            table.Title = new TableTitle(Markup.Escape(title));
        }

        foreach (string column in columns)
        {
            bool right = column.StartsWith('>');
            var c = new TableColumn(new Text(right ? column[1..] : column));
            if (right)
            {
                c.RightAligned();
            }

            table.AddColumn(c);
        }

        return table;
    }

    /// <summary>Writes plain text (no markup) and a line break.</summary>
    public static void WriteText(this IAnsiConsole console, string text)
    {
        console.Write(new Text(text));
        console.WriteLine();
    }
}
