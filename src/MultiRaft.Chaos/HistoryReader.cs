namespace MultiRaft.Chaos;

/// <summary>Reads a JSON-lines history. Blank lines are skipped; any other line that is not a valid event throws
/// <see cref="HistoryFormatException"/> naming its line number.</summary>
public static class HistoryReader
{
    public static IReadOnlyList<HistoryEvent> ReadFile(string path)
    {
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8);
        return Read(reader);
    }

    public static IReadOnlyList<HistoryEvent> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var events = new List<HistoryEvent>();
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            try
            {
                events.Add(HistoryJson.Parse(line));
            }
            catch (FormatException ex)
            {
                throw new HistoryFormatException(number, ex.Message, ex);
            }
        }
        return events;
    }
}
