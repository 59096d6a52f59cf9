using System.Globalization;
using System.Text;
using LightNet.Profiling;
using LightNet.Reports;
using LightNet.Tests.TestSupport;
using Xunit;

namespace LightNet.Tests.Reports;

public class ReportCsvTests
{
    private const string Header =
        "model,backend,precision,device,threads,batch,parameters,macs,fileBytes,loadMs,firstRunMs,runs,meanMs,medianMs," +
        "p90Ms,p95Ms,p99Ms,minMs,maxMs,stdMs,meanCiLowMs,meanCiHighMs,throughputPerSecond,itemsPerSecond,peakRssBytes," +
        "managedBytesPerRun,cv,drift,warnings";

    [Fact]
    public void HeaderAndOneRowPerReport()
    {
        ProfileReport a = ReportSamples.Full();
        ProfileReport b = a with { Backend = a.Backend with { Name = "ort-cpu:threads=1" }, Settings = a.Settings with { Threads = null } };

        string csv = ReportCsv.Format([a, b, a]);

        Assert.EndsWith("\n", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", csv, StringComparison.Ordinal);
        Assert.StartsWith(Header + "\n", csv, StringComparison.Ordinal);
        List<List<string>> rows = ParseCsv(csv);
        Assert.Equal(4, rows.Count);
        Assert.All(rows, row => Assert.Equal(29, row.Count));
        Assert.Equal(Header.Split(','), rows[0]);
        Assert.Equal(ReportCsv.Columns, rows[0]);
        Assert.Equal("", rows[2][rows[0].IndexOf("threads")]);
        Assert.Equal("ort-cpu:threads=1", rows[2][1]);

        Assert.Equal(Header + "\n", ReportCsv.Format([]));
    }

    [Fact]
    public void CommasQuotesAndLineBreaksAreQuotedAsRfc4180Asks()
    {
        string csv = ReportCsv.Format([ReportSamples.Full()]);

        // The model name holds a comma and quotes: quoted, quotes doubled.
        Assert.StartsWith(Header + "\n\"squeeze, \"\"net\"\" | v1.1\",ort-cpu,Fp32,cpu,4,1,", csv, StringComparison.Ordinal);
        // The warnings hold quotes, a comma and a line feed.
        Assert.Contains(",\"Noisy timings, \"\"really\"\": cv 10% | Second line\nof a warning\"\n", csv, StringComparison.Ordinal);

        List<string> row = ParseCsv(csv)[1];
        string Cell(string column) => row[ReportCsv.Columns.ToList().IndexOf(column)];
        Assert.Equal("squeeze, \"net\" | v1.1", Cell("model"));
        Assert.Equal("ort-cpu", Cell("backend"));
        Assert.Equal("1235496", Cell("parameters"));
        Assert.Equal("352000000", Cell("macs"));
        Assert.Equal("4950000", Cell("fileBytes"));
        Assert.Equal("42.5", Cell("loadMs"));
        Assert.Equal("100", Cell("runs"));
        Assert.Equal("1.25", Cell("meanMs"));
        Assert.Equal("1.2", Cell("medianMs"));
        Assert.Equal("0.125", Cell("stdMs"));
        Assert.Equal(1.2251966, double.Parse(Cell("meanCiLowMs"), CultureInfo.InvariantCulture));
        Assert.Equal("800", Cell("throughputPerSecond"));
        Assert.Equal("123456789", Cell("peakRssBytes"));
        Assert.Equal("0.1", Cell("cv"));
        Assert.Equal("1.02", Cell("drift"));
        Assert.Equal("Noisy timings, \"really\": cv 10% | Second line\nof a warning", Cell("warnings"));
    }

    [Fact]
    public void NumbersUseTheInvariantCultureWhateverTheCurrentOne()
    {
        CultureInfo before = CultureInfo.CurrentCulture;
        try
        {
            // A culture with a decimal comma, built so that the test needs no ICU data.
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            comma.NumberFormat.NumberGroupSeparator = ".";
            comma.NumberFormat.PositiveInfinitySymbol = "∞";
            comma.NumberFormat.NaNSymbol = "nicht";
            CultureInfo.CurrentCulture = comma;
            ProfileReport report = ReportSamples.Full() with { Stability = new StabilitySummary { Drift = double.PositiveInfinity, CoefficientOfVariation = double.NaN } };
            List<string> row = ParseCsv(ReportCsv.Format([report]))[1];
            Assert.Equal("42.5", row[9]);
            Assert.Equal("Infinity", row[27]);
            Assert.Equal("NaN", row[26]);
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void WriteIsAtomicAndChecksItsArguments()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out/results.csv");
        ReportCsv.Write([ReportSamples.Full()], path);
        Assert.Equal(ReportCsv.Format([ReportSamples.Full()]), File.ReadAllText(path));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));

        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => ReportCsv.Format([ReportSamples.Full(), null!])).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => ReportCsv.Write([], "")).Code);
        Assert.Throws<ArgumentNullException>(() => ReportCsv.Format((IEnumerable<ProfileReport>)null!));
        Assert.Throws<ArgumentNullException>(() => ReportCsv.Format((ProfileReport)null!));
    }

    /// <summary>A small RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks.</summary>
    internal static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        bool fieldStarted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                Assert.Equal(0, field.Length); // a quote may only open a field
                quoted = true;
                fieldStarted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
                fieldStarted = true;
            }
            else if (c == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
                fieldStarted = false;
            }
            else
            {
                Assert.NotEqual('\r', c);
                field.Append(c);
                fieldStarted = true;
            }
        }

        Assert.False(quoted, "unterminated quoted field");
        if (fieldStarted || field.Length > 0)
        {
            row.Add(field.ToString());
            rows.Add(row);
        }

        return rows;
    }
}
