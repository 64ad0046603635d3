using System.Globalization;

namespace MultiRaft.Storage.RaftLog;

/// <summary>
/// Address ranges of the log cut off at some restart because a damaged record began them. FasterLog cannot
/// truncate its tail, so new records go after the damage; this small file (replaced atomically) tells later
/// scans to jump over it instead of stopping there again.
/// </summary>
internal sealed class CutoffRanges
{
    private readonly string _path;
    private readonly List<(long From, long To)> _ranges = [];

    public CutoffRanges(string path)
    {
        _path = path;
        if (!File.Exists(path))
        {
            return;
        }
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var from) || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var to) || to <= from)
            {
                throw new StorageException($"{path} is malformed: '{line}'");
            }
            _ranges.Add((from, to));
        }
        _ranges.Sort();
    }

    public IReadOnlyList<(long From, long To)> Ranges => _ranges;

    /// <summary>The end of the cut-off range that starts at <paramref name="address"/>, if one does.</summary>
    public bool TrySkip(long address, out long to)
    {
        foreach (var range in _ranges)
        {
            if (range.From == address)
            {
                to = range.To;
                return true;
            }
        }
        to = 0;
        return false;
    }

    public void Add(long from, long to)
    {
        _ranges.Add((from, to));
        _ranges.Sort();
        var temporary = _path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        using (var writer = new StreamWriter(file))
        {
            foreach (var (f, t) in _ranges)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{f} {t}"));
            }
            writer.Flush();
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
    }
}
