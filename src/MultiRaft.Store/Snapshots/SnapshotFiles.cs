using System.Globalization;
using System.Text;

namespace MultiRaft.Store.Snapshots;

/// <summary>
/// Where region snapshots live on disk while they travel: generated ones wait to be streamed, received ones
/// wait for Raft to accept them. Inside Raft a snapshot's data is only a ticket — the file's name — so
/// snapshots never sit in memory or in the Raft log.
/// </summary>
internal sealed class SnapshotFiles
{
    private long _sequence;

    public SnapshotFiles(string directory)
    {
        Directory = directory;
        // Files from before a restart belong to sends and installs that are over.
        if (System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }

    /// <summary>A fresh file name for a snapshot of <paramref name="region"/>.</summary>
    public string NewPath(string kind, ulong region) => Path.Combine(Directory,
        string.Create(CultureInfo.InvariantCulture, $"{kind}-{region}-{Interlocked.Increment(ref _sequence)}.snap"));

    public static ReadOnlyMemory<byte> Ticket(string path) => Encoding.UTF8.GetBytes(path);

    /// <summary>The file a ticket names, if it is one of ours.</summary>
    public string? PathOf(ReadOnlyMemory<byte> ticket)
    {
        var path = Encoding.UTF8.GetString(ticket.Span);
        return ticket.Length > 0 && Path.GetDirectoryName(path) == Directory && File.Exists(path) ? path : null;
    }

    /// <summary>Deletes files no send or install has used for <paramref name="age"/>: received snapshots that
    /// Raft turned down as stale.</summary>
    public void DeleteOlderThan(TimeSpan age)
    {
        var cutoff = DateTime.UtcNow - age;
        foreach (var file in new DirectoryInfo(Directory).EnumerateFiles("*.snap"))
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                Delete(file.FullName);
            }
        }
    }

    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left behind; the next start clears the directory.
        }
    }
}
