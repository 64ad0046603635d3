using System.Globalization;

namespace MultiRaft.Cli.Bench;

/// <summary>Durations as people type them on a command line: <c>30s</c>, <c>500ms</c>, <c>2m</c>, <c>1h</c>.</summary>
internal static class DurationText
{
    public static TimeSpan Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var unitStart = text.Length;
        while (unitStart > 0 && char.IsLetter(text[unitStart - 1]))
        {
            unitStart--;
        }
        if (!double.TryParse(text.AsSpan(0, unitStart), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            throw new ArgumentException($"{option} must be a duration such as 30s, 500ms or 2m, not '{text}'");
        }
        var duration = text[unitStart..] switch
        {
            "ms" => TimeSpan.FromMilliseconds(amount),
            "s" or "" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            var unit => throw new ArgumentException($"{option}: unknown unit '{unit}' in '{text}' (use ms, s, m or h)"),
        };
        return duration;
    }
}
