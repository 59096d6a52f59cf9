using System.Globalization;
using System.Net;
using System.Text;

namespace LightNet.Study;

/// <summary>A chart of the report: its id, caption and inline SVG.</summary>
internal interface ISvgChart
{
    /// <summary>The chart's id (<c>data-chart</c>).</summary>
    string Id { get; }

    /// <summary>The caption.</summary>
    string Title { get; }

    /// <summary>The SVG element.</summary>
    string Render();
}

/// <summary>One bar: its value, an optional whisker (p10–p90) and the tooltip.</summary>
internal sealed record ChartBar(double Value, double? Low, double? High, string Tooltip);

/// <summary>
/// A grouped bar chart as inline SVG: no script, no font, no external reference. Every bar is a <c>rect.bar</c> with
/// <c>data-group</c>, <c>data-series</c> and <c>data-value</c>; group labels are <c>text.group-label</c>, legend entries
/// <c>text.legend-label</c>, whiskers <c>path.whisker</c>, a missing bar is <c>text.missing</c>.
/// </summary>
/// <param name="Id">The chart's id (<c>data-chart</c>).</param>
/// <param name="Title">Accessible title.</param>
/// <param name="YLabel">Y axis label with unit.</param>
/// <param name="Groups">Group labels along the x axis.</param>
/// <param name="Series">Series names (one colour each).</param>
/// <param name="Bars">Bars by group, then series; null where there is no value.</param>
/// <param name="Log">Logarithmic y axis (latencies spanning orders of magnitude).</param>
/// <param name="Reference">A dashed reference line (1 for speed-ups), or null.</param>
internal sealed record SvgBarChart(string Id, string Title, string YLabel, IReadOnlyList<string> Groups, IReadOnlyList<string> Series,
    ChartBar?[][] Bars, bool Log = false, double? Reference = null) : ISvgChart
{
    internal static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    private const double Right = 24, PlotHeight = 260, LegendRow = 20, Bottom = 120;

    /// <summary>Number of bars drawn.</summary>
    public int BarCount => Bars.Sum(g => g.Count(b => b is not null && double.IsFinite(b.Value)));

    public string Render()
    {
        int series = Math.Max(1, Series.Count);
        double barWidth = series > 6 ? 9 : series > 3 ? 12 : 18;
        double groupWidth = series * barWidth + 18;
        double plotWidth = Math.Max(420, Groups.Count * groupWidth);

        // Room on the left for the y axis, and for the first group's label, which is rotated and so reaches left of its bar.
        double longest = Groups.Count == 0 ? 0 : Groups.Max(g => g.Length) * 5.4 * Math.Cos(35 * Math.PI / 180);
        double left = Math.Max(72, longest - plotWidth / Math.Max(1, Groups.Count) / 2 + 8);
        double width = left + plotWidth + Right;

        // Legend rows first, so the plot starts below them.
        var legend = new List<(double X, int Row, int Index)>();
        double lx = left;
        int row = 0;
        for (int s = 0; s < Series.Count && Series.Count > 1; s++)
        {
            double itemWidth = 22 + 7 * Series[s].Length + 14;
            if (lx + itemWidth > width - Right && lx > left)
            {
                row++;
                lx = left;
            }

            legend.Add((lx, row, s));
            lx += itemWidth;
        }

        double top = 16 + (legend.Count > 0 ? (row + 1) * LegendRow : 0);
        // Room below the plot for the longest group label, which is rotated by 35°.
        double bottom = Math.Max(Bottom, 24 + (Groups.Count == 0 ? 0 : Groups.Max(g => g.Length)) * 5.4 * Math.Sin(35 * Math.PI / 180));
        double height = top + PlotHeight + bottom;
        var values = Bars.SelectMany(g => g).OfType<ChartBar>().SelectMany(b => new[] { b.Value, b.High ?? b.Value, b.Low ?? b.Value })
            .Where(v => double.IsFinite(v) && (!Log || v > 0)).ToList();
        if (Reference is double reference) values.Add(reference);
        (double min, double max, List<double> ticks) = Log ? LogAxis(values) : LinearAxis(values);

        double Y(double v)
        {
            double f = Log ? (Math.Log10(Math.Max(v, min)) - Math.Log10(min)) / (Math.Log10(max) - Math.Log10(min)) : (v - min) / (max - min);
            return top + PlotHeight * (1 - Math.Clamp(f, 0, 1));
        }

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"{A(Id)}\" role=\"img\" aria-label=\"{A(Title)}\" ")
           .Append(CultureInfo.InvariantCulture, $"width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\">")
           .Append("<title>").Append(E(Title)).Append("</title>");

        foreach ((double x, int r, int s) in legend)
        {
            double y = 12 + r * LegendRow;
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"swatch\" x=\"{N(x)}\" y=\"{N(y - 9)}\" width=\"12\" height=\"12\" fill=\"{Palette[s % Palette.Length]}\"/>")
               .Append(CultureInfo.InvariantCulture, $"<text class=\"legend-label\" x=\"{N(x + 16)}\" y=\"{N(y + 1)}\">{E(Series[s])}</text>");
        }

        // Grid and y axis.
        foreach (double t in ticks)
        {
            double y = Y(t);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(left)}\" x2=\"{N(left + plotWidth)}\" y1=\"{N(y)}\" y2=\"{N(y)}\"/>")
               .Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{N(left - 6)}\" y=\"{N(y + 4)}\" text-anchor=\"end\">{E(Tick(t))}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{N(left)}\" x2=\"{N(left)}\" y1=\"{N(top)}\" y2=\"{N(top + PlotHeight)}\"/>")
           .Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{N(left)}\" x2=\"{N(left + plotWidth)}\" y1=\"{N(top + PlotHeight)}\" y2=\"{N(top + PlotHeight)}\"/>")
           .Append(CultureInfo.InvariantCulture, $"<text class=\"axis-label\" transform=\"translate(16 {N(top + PlotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">{E(YLabel)}</text>");

        double groupStep = plotWidth / Math.Max(1, Groups.Count);
        for (int g = 0; g < Groups.Count; g++)
        {
            double x0 = left + g * groupStep + (groupStep - series * barWidth) / 2;
            for (int s = 0; s < series; s++)
            {
                ChartBar? bar = g < Bars.Length && s < Bars[g].Length ? Bars[g][s] : null;
                double x = x0 + s * barWidth;
                string seriesName = s < Series.Count ? Series[s] : "";
                if (bar is null || !double.IsFinite(bar.Value))
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<text class=\"missing\" x=\"{N(x + barWidth / 2)}\" y=\"{N(top + PlotHeight - 3)}\" text-anchor=\"middle\">×</text>");
                    continue;
                }

                double y = Y(bar.Value), y0 = Y(Log ? min : Math.Max(min, 0));
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" data-group=\"{A(Groups[g])}\" data-series=\"{A(seriesName)}\" data-value=\"{N(bar.Value)}\" ")
                   .Append(CultureInfo.InvariantCulture, $"x=\"{N(x + 1)}\" y=\"{N(Math.Min(y, y0))}\" width=\"{N(barWidth - 2)}\" height=\"{N(Math.Max(1, Math.Abs(y0 - y)))}\" fill=\"{Palette[s % Palette.Length]}\">")
                   .Append("<title>").Append(E(bar.Tooltip)).Append("</title></rect>");
                if (bar.Low is double lo && bar.High is double hi && double.IsFinite(lo) && double.IsFinite(hi))
                {
                    double cx = x + barWidth / 2, yl = Y(lo), yh = Y(hi);
                    svg.Append(CultureInfo.InvariantCulture, $"<path class=\"whisker\" d=\"M{N(cx)} {N(yl)}V{N(yh)}M{N(cx - 3)} {N(yl)}H{N(cx + 3)}M{N(cx - 3)} {N(yh)}H{N(cx + 3)}\"/>");
                }
            }

            double lxg = left + g * groupStep + groupStep / 2, lyg = top + PlotHeight + 12;
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"group-label\" x=\"{N(lxg)}\" y=\"{N(lyg)}\" text-anchor=\"end\" transform=\"rotate(-35 {N(lxg)} {N(lyg)})\">{E(Groups[g])}</text>");
        }

        if (Reference is double refValue)
        {
            double y = Y(refValue);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"reference\" x1=\"{N(left)}\" x2=\"{N(left + plotWidth)}\" y1=\"{N(y)}\" y2=\"{N(y)}\"/>")
               .Append(CultureInfo.InvariantCulture, $"<text class=\"reference-label\" x=\"{N(left + plotWidth - 4)}\" y=\"{N(y - 4)}\" text-anchor=\"end\">baseline = {E(Tick(refValue))}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    internal static (double, double, List<double>) LinearAxis(List<double> values)
    {
        double max = values.Count == 0 ? 1 : Math.Max(values.Max(), 1e-9);
        double step = NiceStep(max / 5);
        double top = Math.Ceiling(max * 1.05 / step) * step;
        var ticks = new List<double>();
        for (double t = 0; t <= top + step / 2; t += step) ticks.Add(t);
        return (0, top, ticks);
    }

    internal static (double, double, List<double>) LogAxis(List<double> values)
    {
        double lo = values.Count == 0 ? 1 : values.Min(), hi = values.Count == 0 ? 10 : values.Max();
        double min = Math.Pow(10, Math.Floor(Math.Log10(lo))), max = Math.Pow(10, Math.Ceiling(Math.Log10(hi * 1.01)));
        if (max <= min) max = min * 10;
        var ticks = new List<double>();
        for (double decade = min; decade <= max * 1.0001; decade *= 10)
        {
            foreach (double m in new[] { 1.0, 2, 5 })
            {
                if (decade * m <= max * 1.0001) ticks.Add(decade * m);
            }
        }

        return (min, max, ticks);
    }

    internal static double NiceStep(double raw)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / magnitude;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
    }

    internal static string Tick(double v) => v.ToString(v >= 100 ? "0" : v >= 1 ? "0.##" : "0.###", CultureInfo.InvariantCulture);

    internal static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    internal static string E(string text) => WebUtility.HtmlEncode(text);

    internal static string A(string text) => WebUtility.HtmlEncode(text);
}
