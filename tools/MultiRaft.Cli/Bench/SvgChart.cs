using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace MultiRaft.Cli.Bench;

/// <summary>A moment worth marking on a chart (a split, a leader transfer), at a second of the timeline.</summary>
internal sealed record ChartEvent(double Sec, string Label);

/// <summary>
/// Draws a run's timeline as an SVG file: throughput on top, p99 latency below, on a shared time axis, with
/// events drawn as labelled vertical lines across both panels. SVG needs no graphics library and opens in
/// any browser.
/// </summary>
internal static class SvgChart
{
    private const int Width = 960;
    private const int PanelHeight = 220;
    private const int Left = 80;
    private const int Right = 20;
    private const int Top = 40;
    private const int Gap = 50;
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Checks the path before a run starts, so a long run never ends in a file it cannot write.</summary>
    public static void ValidatePath(string path)
    {
        if (!path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--chart writes SVG: give a file name ending in .svg, not '{path}'");
        }
    }

    public static void Write(string path, string title, IReadOnlyList<TimelinePoint> timeline, IReadOnlyList<ChartEvent> events)
    {
        var seconds = Math.Max(timeline.Count == 0 ? 1 : timeline[^1].Sec, 1);
        var plotWidth = Width - Left - Right;
        var root = new XElement(Svg + "svg",
            new XAttribute("width", Width), new XAttribute("height", Top + (2 * PanelHeight) + Gap + 40),
            new XAttribute("font-family", "sans-serif"), new XAttribute("font-size", 12),
            Text(Left, 22, title, 15));
        var panels = new[]
        {
            (Label: "ops/s", Values: timeline.Select(p => p.OpsPerSec).ToArray(), Color: "#1f77b4", Y: Top),
            (Label: "p99 ms", Values: timeline.Select(p => p.P99Ms).ToArray(), Color: "#d62728", Y: Top + PanelHeight + Gap),
        };
        foreach (var panel in panels)
        {
            var max = NiceCeiling(panel.Values.DefaultIfEmpty(0).Max());
            root.Add(Rect(Left, panel.Y, plotWidth, PanelHeight));
            for (var tick = 0; tick <= 4; tick++)
            {
                var y = panel.Y + PanelHeight - (tick * PanelHeight / 4.0);
                root.Add(Line(Left, y, Left + plotWidth, y, "#e0e0e0"), Text(Left - 6, y + 4, Format(max * tick / 4), anchor: "end"));
            }
            root.Add(Text(12, panel.Y - 8, panel.Label));
            var points = new StringBuilder();
            for (var i = 0; i < timeline.Count; i++)
            {
                var x = Left + (plotWidth * timeline[i].Sec / (double)seconds);
                var y = panel.Y + PanelHeight - (max == 0 ? 0 : PanelHeight * panel.Values[i] / max);
                points.Append(CultureInfo.InvariantCulture, $"{x:F1},{y:F1} ");
            }
            root.Add(new XElement(Svg + "polyline", new XAttribute("points", points.ToString().TrimEnd()), new XAttribute("fill", "none"),
                new XAttribute("stroke", panel.Color), new XAttribute("stroke-width", 1.5)));
        }
        var bottom = Top + (2 * PanelHeight) + Gap;
        for (var tick = 0; tick <= 10; tick++)
        {
            var x = Left + (plotWidth * tick / 10.0);
            root.Add(Text(x, bottom + 16, Format(seconds * tick / 10.0), anchor: "middle"));
        }
        root.Add(Text(Left + (plotWidth / 2.0), bottom + 34, "seconds", anchor: "middle"));
        for (var i = 0; i < events.Count; i++)
        {
            var x = Left + (plotWidth * Math.Clamp(events[i].Sec, 0, seconds) / seconds);
            root.Add(Line(x, Top, x, bottom, "#2ca02c", dashed: true), Text(x + 3, Top + 12 + (12 * (i % 6)), events[i].Label, 10));
        }
        new XDocument(root).Save(path);
    }

    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        return new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(v => v >= value);
    }

    private static string Format(double value) => value >= 1000 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture);

    private static XElement Text(double x, double y, string text, int size = 12, string anchor = "start") =>
        new(Svg + "text", new XAttribute("x", Math.Round(x, 1)), new XAttribute("y", Math.Round(y, 1)), new XAttribute("font-size", size),
            new XAttribute("text-anchor", anchor), text);

    private static XElement Line(double x1, double y1, double x2, double y2, string color, bool dashed = false)
    {
        var line = new XElement(Svg + "line", new XAttribute("x1", Math.Round(x1, 1)), new XAttribute("y1", Math.Round(y1, 1)),
            new XAttribute("x2", Math.Round(x2, 1)), new XAttribute("y2", Math.Round(y2, 1)), new XAttribute("stroke", color));
        if (dashed)
        {
            line.Add(new XAttribute("stroke-dasharray", "4 3"));
        }
        return line;
    }

    private static XElement Rect(double x, double y, double width, double height) =>
        new(Svg + "rect", new XAttribute("x", x), new XAttribute("y", y), new XAttribute("width", width), new XAttribute("height", height),
            new XAttribute("fill", "none"), new XAttribute("stroke", "#888"));
}
