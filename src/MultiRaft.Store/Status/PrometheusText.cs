using System.Globalization;
using System.Text;

namespace MultiRaft.Store.Status;

/// <summary>Pieces of the Prometheus text exposition format (version 0.0.4): names, escaping, numbers.</summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public const string Prefix = "multiraft_";

    /// <summary>"apply.batchEntries" → "apply_batch_entries": lower case, camel humps and every character
    /// outside [a-z0-9] become one underscore; never two in a row, none at either end.</summary>
    public static string SnakeCase(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsAsciiLetterUpper(c))
            {
                if (i > 0 && (char.IsAsciiLetterLower(text[i - 1]) || char.IsAsciiDigit(text[i - 1])
                    || (i + 1 < text.Length && char.IsAsciiLetterLower(text[i + 1]) && char.IsAsciiLetterUpper(text[i - 1]))))
                {
                    Underscore(builder);
                }
                builder.Append(char.ToLowerInvariant(c));
            }
            else if (char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
            {
                builder.Append(c);
            }
            else
            {
                Underscore(builder);
            }
        }
        while (builder.Length > 0 && builder[^1] == '_')
        {
            builder.Length--;
        }
        return builder.ToString();
    }

    private static void Underscore(StringBuilder builder)
    {
        if (builder.Length > 0 && builder[^1] != '_')
        {
            builder.Append('_');
        }
    }

    /// <summary>The metric name of an instrument: prefixed, snake case, with its unit unless the unit is an
    /// annotation in braces ("{entry}"), and <c>_total</c> for counters.</summary>
    public static string MetricName(string instrument, string? unit, bool counter)
    {
        var name = SnakeCase(instrument);
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
        {
            name = Prefix + name;
        }
        var suffix = UnitSuffix(unit);
        if (suffix.Length > 0 && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name = $"{name}_{suffix}";
        }
        if (counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }
        if (char.IsAsciiDigit(name[0]))
        {
            name = "_" + name;
        }
        return name;
    }

    private static string UnitSuffix(string? unit) => unit switch
    {
        null or "" or "1" => "",
        "ms" => "milliseconds",
        "s" => "seconds",
        "us" => "microseconds",
        "By" => "bytes",
        _ when unit.StartsWith('{') => "",
        _ => SnakeCase(unit),
    };

    /// <summary>A label name: [a-zA-Z_][a-zA-Z0-9_]*.</summary>
    public static string LabelName(string name)
    {
        var snake = SnakeCase(name);
        return snake.Length == 0 ? "_" : char.IsAsciiDigit(snake[0]) ? "_" + snake : snake;
    }

    /// <summary>Appends a label value with backslash, double quote and line feed escaped.</summary>
    public static void AppendLabelValue(StringBuilder builder, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '"' => builder.Append("\\\""),
                '\n' => builder.Append(@"\n"),
                _ => builder.Append(c),
            };
        }
    }

    /// <summary>HELP text escapes backslash and line feed only.</summary>
    public static string EscapeHelp(string text) => text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ when value == Math.Floor(value) && Math.Abs(value) < 1e15 => ((long)value).ToString(CultureInfo.InvariantCulture),
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public static string LabelString(object? value) => value switch
    {
        null => "",
        string s => s,
        double d => Number(d),
        float f => Number(f),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
