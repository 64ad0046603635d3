namespace MultiRaft.Chaos;

/// <summary>A history file that cannot be read, or a history whose events do not pair up. <see cref="Line"/> is
/// the 1-based line (or event position) at fault, 0 when none applies.</summary>
public sealed class HistoryFormatException : Exception
{
    public HistoryFormatException()
    {
    }

    public HistoryFormatException(string message)
        : base(message)
    {
    }

    public HistoryFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HistoryFormatException(int line, string message, Exception? innerException = null)
        : base($"line {line}: {message}", innerException)
    {
        Line = line;
    }

    public int Line { get; }
}
