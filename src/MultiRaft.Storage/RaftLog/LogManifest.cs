using System.Globalization;

namespace MultiRaft.Storage.RaftLog;

/// <summary>
/// The file that marks a directory as a MultiRaft Raft log and names the record format written into it.
/// Format 1 has one record per region entry or state; format 2 adds group records (many regions' entries and
/// hard states in one record). Recovery reads both, so a format-1 log is upgraded when this build opens it:
/// from then on it may hold group records, which a build that knows only format 1 would take for a damaged
/// tail and cut off. A format this build does not know is refused before anything is touched.
/// </summary>
internal static class LogManifest
{
    public const string FileName = "MULTIRAFT-RAFTLOG";
    public const int CurrentFormat = 2;
    private const string Prefix = "MultiRaft raft log, format ";

    /// <summary>The format an existing log names (throws on one this build cannot read).</summary>
    public static int CheckReadable(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var text = File.ReadAllText(path).Trim();
        if (!text.StartsWith(Prefix, StringComparison.Ordinal)
            || !int.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var format)
            || format < 1)
        {
            throw new StorageException($"{path} does not name a MultiRaft log format: '{Shorten(text)}'");
        }
        if (format > CurrentFormat)
        {
            throw new StorageException($"{directory} holds a Raft log of format {format}, written by a newer MultiRaft; this build reads formats 1 to {CurrentFormat}");
        }
        return format;
    }

    /// <summary>Records that the log holds (or may from now on hold) records of the current format.</summary>
    public static void WriteCurrent(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, $"{Prefix}{CurrentFormat}\n");
        File.Move(temporary, path, overwrite: true);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 60), "...");
}
