using System.Text;
using MultiRaft.Raft;
using MultiRaft.Storage.RaftLog;

namespace MultiRaft.Storage.Tests.RaftLog;

/// <summary>A temporary log directory with small pages and segments, so tests cross page and segment boundaries.</summary>
internal sealed class LogEngineFixture : IDisposable
{
    public LogEngineFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "multiraft-log-" + Guid.NewGuid().ToString("N"));
        Engine = Open();
    }

    public string Directory { get; }

    public RaftLogEngine Engine { get; private set; }

    public RaftLogEngineOptions Options => new()
    {
        Directory = Directory,
        PageSizeBits = 16,
        MemorySizeBits = 18,
        SegmentSizeBits = 18,
        CacheBytesPerRegion = 4 * 1024,
    };

    public RaftLogEngine Open() => RaftLogEngine.Open(Options);

    /// <summary>Closes the engine without syncing (what a crash leaves is what was synced) and opens it again.</summary>
    public RaftLogEngine Reopen()
    {
        Engine.Dispose();
        Engine = Open();
        return Engine;
    }

    public static Entry[] MakeEntries(ulong first, int count, ulong term, int size = 16, string tag = "")
    {
        var entries = new Entry[count];
        for (var i = 0; i < count; i++)
        {
            var index = first + (ulong)i;
            var text = $"{tag}{index}@{term}:";
            var data = new byte[Math.Max(size, text.Length)];
            Encoding.ASCII.GetBytes(text).CopyTo(data, 0);
            entries[i] = new Entry(term, index, data);
        }
        return entries;
    }

    public List<Entry> Read(ulong region, ulong lo, ulong hi)
    {
        var into = new List<Entry>();
        Assert.Equal(LogRead.Ok, Engine.Entries(region, lo, hi, long.MaxValue, into));
        return into;
    }

    public void Write(ulong region, Entry[] entries, HardState? state = null, bool sync = true)
    {
        var batch = new LogWriteBatch();
        batch.AddEntries(region, entries);
        if (state is { } hard)
        {
            batch.SetHardState(region, hard);
        }
        Engine.Write(batch);
        if (sync)
        {
            Engine.Sync();
        }
    }

    public static void AssertSame(IReadOnlyList<Entry> expected, IReadOnlyList<Entry> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Index, actual[i].Index);
            Assert.Equal(expected[i].Term, actual[i].Term);
            Assert.Equal(expected[i].Type, actual[i].Type);
            Assert.True(expected[i].Data.Span.SequenceEqual(actual[i].Data.Span), $"data of entry {expected[i].Index} differs");
        }
    }

    public void Dispose()
    {
        Engine.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory left behind is harmless.
        }
    }
}
