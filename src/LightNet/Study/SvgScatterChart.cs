using System.Globalization;
using System.Text;

namespace LightNet.Study;

/// <summary>One point of a scatter chart.</summary>
/// <param name="X">Horizontal value.</param>
/// <param name="Y">Vertical value.</param>
/// <param name="Series">Index into the chart's series (its colour).</param>
/// <param name="Label">Short label written next to a point of the Pareto front.</param>
/// <param name="Tooltip">The point's tooltip.</param>
internal sealed record ScatterPoint(double X, double Y, int Series, string Label, string Tooltip);

/// <summary>
/// A scatter chart as inline SVG with its Pareto front: the points no other point beats on both axes are ringed, labelled and joined
/// by a step line. Every point is a <c>circle.point</c> with <c>data-series</c>, <c>data-x</c>, <c>data-y</c> and <c>data-front</c>
/// ("true" on the front); the front is <c>path.pareto</c>; legend entries are <c>text.legend-label</c>.
/// </summary>
/// <param name="Id">The chart's id (<c>data-chart</c>).</param>
/// <param name="Title">Accessible title.</param>
/// <param name="XLabel">X axis label with unit.</param>
/// <param name="YLabel">Y axis label with unit.</param>
/// <param name="Series">Series names (one colour each).</param>
/// <param name="Points">The points.</param>
/// <param name="HigherYIsBetter">True when a higher y is better (accuracy); false when lower is (size). A lower x is always better.</param>
/// <param name="LogX">Logarithmic x axis.</param>
/// <param name="LogY">Logarithmic y axis.</param>
internal sealed record SvgScatterChart(string Id, string Title, string XLabel, string YLabel, IReadOnlyList<string> Series,
    IReadOnlyList<ScatterPoint> Points, bool HigherYIsBetter, bool LogX = true, bool LogY = false) : ISvgChart
{
    private const double Left = 72, Right = 120, Top = 16, PlotWidth = 430, PlotHeight = 280, Bottom = 48, LegendRow = 20;

    /// <summary>The points of the Pareto front, by increasing x: each is better in y than every point to its left.</summary>
    public static List<T> Front<T>(IEnumerable<T> points, Func<T, double> x, Func<T, double> y, bool higherYIsBetter)
    {
        var front = new List<T>();
        double best = double.NaN;
        foreach (T p in points.Where(p => double.IsFinite(x(p)) && double.IsFinite(y(p))).OrderBy(x).ThenBy(p => higherYIsBetter ? -y(p) : y(p)))
        {
            double v = y(p);
            if (double.IsNaN(best) || (higherYIsBetter ? v > best : v < best))
            {
                front.Add(p);
                best = v;
            }
        }

        return front;
    }

    public string Render()
    {
        List<ScatterPoint> points = Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogX || p.X > 0) && (!LogY || p.Y > 0)).ToList();
        HashSet<ScatterPoint> front = [.. Front(points, p => p.X, p => p.Y, HigherYIsBetter)];
        int legendRows = Series.Count <= 1 ? 0 : (Series.Count + 2) / 3;
        double top = Top + legendRows * LegendRow;
        double width = Left + PlotWidth + Right, height = top + PlotHeight + Bottom;
        (double xMin, double xMax, List<double> xTicks) = LogX ? SvgBarChart.LogAxis([.. points.Select(p => p.X)]) : SvgBarChart.LinearAxis([.. points.Select(p => p.X)]);
        if (xTicks.Count > 10)
        {
            xTicks = [.. xTicks.Where(t => Math.Abs(Math.Log10(t) - Math.Round(Math.Log10(t))) < 1e-9)];   // decades only, or the labels run into each other
        }

        List<double> ys = [.. points.Select(p => p.Y)];
        (double yMin, double yMax, List<double> yTicks) = LogY ? SvgBarChart.LogAxis(ys) : Zoomed(ys);

        double X(double v) => Left + PlotWidth * Fraction(v, xMin, xMax, LogX);
        double Y(double v) => top + PlotHeight * (1 - Fraction(v, yMin, yMax, LogY));

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart scatter\" data-chart=\"{SvgBarChart.A(Id)}\" role=\"img\" aria-label=\"{SvgBarChart.A(Title)}\" ")
           .Append(CultureInfo.InvariantCulture, $"width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\">")
           .Append("<title>").Append(SvgBarChart.E(Title)).Append("</title>");
        for (int s = 0; s < Series.Count && Series.Count > 1; s++)
        {
            double lx = Left + (s % 3) * 170, ly = 12 + (s / 3) * LegendRow;
            svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"swatch\" cx=\"{N(lx + 6)}\" cy=\"{N(ly - 3)}\" r=\"5\" fill=\"{Colour(s)}\"/>")
               .Append(CultureInfo.InvariantCulture, $"<text class=\"legend-label\" x=\"{N(lx + 16)}\" y=\"{N(ly + 1)}\">{SvgBarChart.E(Series[s])}</text>");
        }

        foreach (double t in xTicks)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(X(t))}\" x2=\"{N(X(t))}\" y1=\"{N(top)}\" y2=\"{N(top + PlotHeight)}\"/>")
               .Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{N(X(t))}\" y=\"{N(top + PlotHeight + 16)}\" text-anchor=\"middle\">{SvgBarChart.E(SvgBarChart.Tick(t))}</text>");
        }

        foreach (double t in yTicks)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(Left)}\" x2=\"{N(Left + PlotWidth)}\" y1=\"{N(Y(t))}\" y2=\"{N(Y(t))}\"/>")
               .Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{N(Left - 6)}\" y=\"{N(Y(t) + 4)}\" text-anchor=\"end\">{SvgBarChart.E(SvgBarChart.Tick(t))}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{N(Left)}\" x2=\"{N(Left)}\" y1=\"{N(top)}\" y2=\"{N(top + PlotHeight)}\"/>")
           .Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{N(Left)}\" x2=\"{N(Left + PlotWidth)}\" y1=\"{N(top + PlotHeight)}\" y2=\"{N(top + PlotHeight)}\"/>")
           .Append(CultureInfo.InvariantCulture, $"<text class=\"axis-label\" x=\"{N(Left + PlotWidth / 2)}\" y=\"{N(top + PlotHeight + 38)}\" text-anchor=\"middle\">{SvgBarChart.E(XLabel)}</text>")
           .Append(CultureInfo.InvariantCulture, $"<text class=\"axis-label\" transform=\"translate(16 {N(top + PlotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">{SvgBarChart.E(YLabel)}</text>");

        // The front as a staircase: from each front point right to the next one's x, then up (or down) to its y.
        List<ScatterPoint> ordered = [.. front.OrderBy(p => p.X)];
        if (ordered.Count > 0)
        {
            var d = new StringBuilder($"M{N(X(ordered[0].X))} {N(Y(ordered[0].Y))}");
            for (int i = 1; i < ordered.Count; i++)
            {
                d.Append(CultureInfo.InvariantCulture, $"H{N(X(ordered[i].X))}V{N(Y(ordered[i].Y))}");
            }

            svg.Append("<path class=\"pareto\" d=\"").Append(d).Append("\"><title>Pareto front: no other point is both faster and ")
               .Append(HigherYIsBetter ? "higher" : "lower").Append("</title></path>");
        }

        foreach (ScatterPoint p in points.OrderBy(p => front.Contains(p)))
        {
            bool onFront = front.Contains(p);
            svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"point{(onFront ? " front" : "")}\" data-series=\"{SvgBarChart.A(p.Series < Series.Count ? Series[p.Series] : "")}\" ")
               .Append(CultureInfo.InvariantCulture, $"data-x=\"{N(p.X)}\" data-y=\"{N(p.Y)}\" data-front=\"{(onFront ? "true" : "false")}\" cx=\"{N(X(p.X))}\" cy=\"{N(Y(p.Y))}\" r=\"{(onFront ? 6 : 4.5)}\" fill=\"{Colour(p.Series)}\">")
               .Append("<title>").Append(SvgBarChart.E(p.Tooltip + (onFront ? " (on the Pareto front)" : ""))).Append("</title></circle>");
        }

        // Each front point's label to its right, moved down or up in steps until it overlaps no label already placed.
        var placed = new List<(double X0, double X1, double Y)>();
        foreach (ScatterPoint p in ordered)
        {
            double x0 = X(p.X) + 8, x1 = x0 + 6.2 * p.Label.Length, y = Y(p.Y) - 8;
            foreach (double dy in new[] { 0.0, 22, -14, 36, -28, 50, -42 })
            {
                double candidate = Math.Clamp(Y(p.Y) - 8 + dy, top + 10, top + PlotHeight - 2);
                if (!placed.Any(b => x0 < b.X1 && b.X0 < x1 && Math.Abs(b.Y - candidate) < 13))
                {
                    y = candidate;
                    break;
                }
            }

            placed.Add((x0, x1, y));
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"point-label\" x=\"{N(x0)}\" y=\"{N(y)}\">{SvgBarChart.E(p.Label)}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    private static double Fraction(double v, double min, double max, bool log) =>
        Math.Clamp(log ? (Math.Log10(v) - Math.Log10(min)) / (Math.Log10(max) - Math.Log10(min)) : (v - min) / (max - min), 0, 1);

    /// <summary>A linear y axis that starts near the data rather than at 0 (accuracies differ by a few points), padded on both sides.</summary>
    private static (double, double, List<double>) Zoomed(List<double> values)
    {
        double lo = values.Count == 0 ? 0 : values.Min(), hi = values.Count == 0 ? 1 : values.Max();
        double span = Math.Max(hi - lo, Math.Max(Math.Abs(hi) * 0.02, 1e-6));
        double step = SvgBarChart.NiceStep(span / 4);
        double min = Math.Floor((lo - span * 0.1) / step) * step, max = Math.Ceiling((hi + span * 0.1) / step) * step;
        var ticks = new List<double>();
        for (double t = min; t <= max + step / 2; t += step) ticks.Add(Math.Round(t / step) * step);
        return (min, max, ticks);
    }

    private static string Colour(int series) => SvgBarChart.Palette[series % SvgBarChart.Palette.Length];

    private static string N(double v) => SvgBarChart.N(v);
}
