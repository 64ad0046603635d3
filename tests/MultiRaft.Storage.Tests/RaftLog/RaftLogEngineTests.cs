using MultiRaft.Raft;
using MultiRaft.Storage.RaftLog;
using static MultiRaft.Storage.Tests.RaftLog.LogEngineFixture;

namespace MultiRaft.Storage.Tests.RaftLog;

public class RaftLogEngineTests
{
    [Fact]
    public void Entries_and_hard_states_of_many_regions_read_back_before_and_after_a_restart()
    {
        using var fx = new LogEngineFixture();
        var written = new Dictionary<ulong, List<Entry>>();
        for (var round = 0; round < 20; round++)
        {
            var batch = new LogWriteBatch();
            for (ulong region = 1; region <= 10; region++)
            {
                var list = written.TryGetValue(region, out var l) ? l : written[region] = [];
                var entries = MakeEntries((ulong)list.Count + 1, 1 + (int)(region % 4), term: 3, size: 40 + (int)region * 13);
                list.AddRange(entries);
                batch.AddEntries(region, entries);
                batch.SetHardState(region, new HardState(3, region, (ulong)list.Count));
            }
            fx.Engine.Write(batch);
            fx.Engine.Sync();
        }
        foreach (var (region, list) in written)
        {
            AssertSame(list, fx.Read(region, 1, (ulong)list.Count + 1));
        }

        fx.Reopen();

        Assert.Equal(written.Keys.Order(), fx.Engine.Regions.Order());
        foreach (var (region, list) in written)
        {
            Assert.Equal(1UL, fx.Engine.FirstIndex(region));
            Assert.Equal((ulong)list.Count, fx.Engine.LastIndex(region));
            Assert.Equal(new HardState(3, region, (ulong)list.Count), fx.Engine.HardState(region));
            AssertSame(list, fx.Read(region, 1, (ulong)list.Count + 1));
            Assert.Equal(LogRead.Ok, fx.Engine.Term(region, (ulong)list.Count, out var term));
            Assert.Equal(3UL, term);
        }
    }

    [Fact]
    public void Only_synced_batches_survive_a_close_without_sync()
    {
        using var fx = new LogEngineFixture();
        fx.Write(1, MakeEntries(1, 5, 1), new HardState(1, 1, 5));
        fx.Write(1, MakeEntries(6, 5, 1), new HardState(1, 1, 10), sync: false);
        Assert.Equal(10UL, fx.Engine.LastIndex(1));
        // FasterLog reads only committed records; unsynced entries are served from the cache.
        AssertSame(MakeEntries(1, 10, 1), fx.Read(1, 1, 11));

        fx.Reopen();

        Assert.Equal(5UL, fx.Engine.LastIndex(1));
        Assert.Equal(new HardState(1, 1, 5), fx.Engine.HardState(1));
    }

    [Fact]
    public void A_conflicting_suffix_is_superseded_and_its_stale_bytes_never_returned()
    {
        using var fx = new LogEngineFixture();
        fx.Write(7, MakeEntries(1, 10, term: 1, tag: "old"));
        var replacement = MakeEntries(6, 3, term: 2, tag: "new");
        fx.Write(7, replacement);

        void Check()
        {
            Assert.Equal(8UL, fx.Engine.LastIndex(7));
            AssertSame([.. MakeEntries(1, 5, term: 1, tag: "old"), .. replacement], fx.Read(7, 1, 9));
            Assert.Equal(LogRead.Unavailable, fx.Engine.Entries(7, 9, 10, long.MaxValue, []));
        }
        Check();
        fx.Reopen();
        Check();
    }

    [Fact]
    public void Reads_below_the_first_index_answer_compacted_after_compaction_and_restart()
    {
        using var fx = new LogEngineFixture();
        fx.Write(2, MakeEntries(1, 20, term: 4));
        fx.Engine.Compact(2, 12);
        fx.Engine.Sync();

        void Check()
        {
            Assert.Equal(13UL, fx.Engine.FirstIndex(2));
            Assert.Equal(LogRead.Compacted, fx.Engine.Entries(2, 12, 14, long.MaxValue, []));
            Assert.Equal(LogRead.Compacted, fx.Engine.Term(2, 11, out _));
            Assert.Equal(LogRead.Ok, fx.Engine.Term(2, 12, out var term));
            Assert.Equal(4UL, term);
            AssertSame(MakeEntries(13, 8, term: 4), fx.Read(2, 13, 21));
        }
        Check();
        fx.Reopen();
        Check();
    }

    [Fact]
    public void Reads_respect_the_byte_limit_but_return_at_least_one_entry()
    {
        using var fx = new LogEngineFixture();
        fx.Write(1, MakeEntries(1, 10, term: 1, size: 100));
        var into = new List<Entry>();
        Assert.Equal(LogRead.Ok, fx.Engine.Entries(1, 1, 11, 3 * (100 + Entry.HeaderBytes), into));
        Assert.Equal(3, into.Count);
        into.Clear();
        Assert.Equal(LogRead.Ok, fx.Engine.Entries(1, 1, 11, 1, into));
        Assert.Single(into);
    }

    [Fact]
    public void A_batch_larger_than_a_page_is_split_into_records_and_reads_back()
    {
        using var fx = new LogEngineFixture();
        // 64 KiB pages: 200 entries of 1 KiB do not fit in one.
        var entries = MakeEntries(1, 200, term: 1, size: 1024);
        fx.Write(3, entries);
        AssertSame(entries, fx.Read(3, 1, 201));
        fx.Reopen();
        AssertSame(entries, fx.Read(3, 1, 201));
    }

    [Fact]
    public void A_batch_of_many_regions_larger_than_a_record_spans_several_records_and_reads_back()
    {
        using var fx = new LogEngineFixture();
        // 300 regions, 3 entries of 200 bytes and a hard state each: about 200 KiB, against 32 KiB records.
        var batch = new LogWriteBatch();
        var written = new Dictionary<ulong, Entry[]>();
        for (ulong region = 1; region <= 300; region++)
        {
            written[region] = MakeEntries(1, 3, term: 2, size: 200, tag: $"r{region}-");
            batch.AddEntries(region, written[region]);
            batch.SetHardState(region, new HardState(2, region, 3));
        }
        fx.Engine.Write(batch);
        fx.Engine.Sync();

        fx.Reopen(); // Nothing cached: every entry is read from its record.

        foreach (var (region, entries) in written)
        {
            AssertSame(entries, fx.Read(region, 1, 4));
            Assert.Equal(new HardState(2, region, 3), fx.Engine.HardState(region));
        }
    }

    [Fact]
    public void Empty_entries_round_trip()
    {
        using var fx = new LogEngineFixture();
        Entry[] entries = [new Entry(5, 1, ReadOnlyMemory<byte>.Empty), new Entry(5, 2, EntryType.ConfChange, new byte[] { 1 })];
        fx.Write(1, entries);
        fx.Reopen();
        AssertSame(entries, fx.Read(1, 1, 3));
    }

    [Fact]
    public void An_oversized_entry_is_refused_and_the_batch_changes_nothing()
    {
        using var fx = new LogEngineFixture();
        var batch = new LogWriteBatch();
        batch.AddEntries(1, MakeEntries(1, 2, term: 1));
        batch.AddEntries(2, [new Entry(1, 1, new byte[fx.Options.MaxEntryBytes + 1])]);
        var error = Assert.Throws<ArgumentException>(() => fx.Engine.Write(batch));
        Assert.Contains("limit", error.Message);
        Assert.Equal(0UL, fx.Engine.LastIndex(1));
        Assert.Empty(fx.Engine.Regions);
    }

    [Fact]
    public void Entries_that_would_leave_a_gap_are_refused()
    {
        using var fx = new LogEngineFixture();
        fx.Write(1, MakeEntries(1, 3, term: 1));
        Assert.Throws<InvalidOperationException>(() => fx.Write(1, MakeEntries(5, 1, term: 1)));
        var batch = new LogWriteBatch();
        Assert.Throws<ArgumentException>(() => batch.AddEntries(1, [MakeEntries(1, 1, 1)[0], MakeEntries(3, 1, 1)[0]]));
    }

    [Fact]
    public void A_snapshot_resets_the_region_log_and_survives_restart()
    {
        using var fx = new LogEngineFixture();
        fx.Write(4, MakeEntries(1, 10, term: 1));
        var batch = new LogWriteBatch();
        var snapshot = new SnapshotMetadata(50, 3, ConfState.OfVoters(1, 2, 3));
        batch.ApplySnapshot(4, snapshot);
        batch.AddEntries(4, MakeEntries(51, 2, term: 3));
        batch.SetHardState(4, new HardState(3, 2, 50));
        fx.Engine.Write(batch);
        fx.Engine.Sync();
        fx.Reopen();

        Assert.Equal(snapshot, fx.Engine.SnapshotMetadata(4));
        Assert.Equal(51UL, fx.Engine.FirstIndex(4));
        Assert.Equal(52UL, fx.Engine.LastIndex(4));
        Assert.Equal(LogRead.Ok, fx.Engine.Term(4, 50, out var term));
        Assert.Equal(3UL, term);
        Assert.Equal(LogRead.Compacted, fx.Engine.Entries(4, 10, 11, long.MaxValue, []));
    }

    [Fact]
    public void A_removed_region_stays_removed_after_restart()
    {
        using var fx = new LogEngineFixture();
        fx.Write(1, MakeEntries(1, 3, term: 1));
        fx.Write(2, MakeEntries(1, 3, term: 1));
        fx.Engine.RemoveRegion(1);
        fx.Engine.Sync();
        fx.Reopen();
        Assert.Equal([2UL], fx.Engine.Regions);
        Assert.Equal(0UL, fx.Engine.LastIndex(1));
    }

    [Fact]
    public void A_directory_with_foreign_files_is_refused()
    {
        var directory = Path.Combine(Path.GetTempPath(), "multiraft-foreign-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "something"), "not a log");
        try
        {
            Assert.Throws<StorageException>(() => RaftLogEngine.Open(new RaftLogEngineOptions { Directory = directory }));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_log_of_a_newer_format_is_refused_and_left_as_it_was()
    {
        using var fx = new LogEngineFixture();
        fx.Write(1, MakeEntries(1, 10, term: 1), new HardState(1, 1, 10));
        fx.Engine.Sync();
        fx.Engine.Dispose();
        var manifest = Path.Combine(fx.Directory, "MULTIRAFT-RAFTLOG");
        File.WriteAllText(manifest, "MultiRaft raft log, format 3\n");
        var before = Directory.EnumerateFiles(fx.Directory, "*", SearchOption.AllDirectories).Order().Select(f => (f, new FileInfo(f).Length)).ToList();

        var refused = Assert.Throws<StorageException>(fx.Open);

        Assert.Contains("format 3", refused.Message, StringComparison.Ordinal);
        Assert.Equal("MultiRaft raft log, format 3\n", File.ReadAllText(manifest));
        Assert.Equal(before, Directory.EnumerateFiles(fx.Directory, "*", SearchOption.AllDirectories).Order().Select(f => (f, new FileInfo(f).Length)).ToList());
        File.WriteAllText(manifest, "garbage");
        Assert.Throws<StorageException>(fx.Open);
        File.WriteAllText(manifest, "MultiRaft raft log, format 2\n");
        fx.Reopen();
        Assert.Equal(10UL, fx.Engine.LastIndex(1));
    }

    [Fact]
    public void A_format_1_log_opens_and_is_marked_as_the_current_format()
    {
        using var fx = new LogEngineFixture();
        var manifest = Path.Combine(fx.Directory, "MULTIRAFT-RAFTLOG");
        Assert.Equal("MultiRaft raft log, format 2\n", File.ReadAllText(manifest));
        fx.Write(1, MakeEntries(1, 10, term: 1), new HardState(1, 1, 10));
        fx.Engine.Sync();
        fx.Engine.Dispose();
        File.WriteAllText(manifest, "MultiRaft raft log, format 1\n");

        fx.Reopen();

        Assert.Equal(10UL, fx.Engine.LastIndex(1));
        Assert.Equal("MultiRaft raft log, format 2\n", File.ReadAllText(manifest));
    }

    [Fact]
    public void A_log_whose_data_files_vanished_is_not_silently_opened_empty()
    {
        using var fx = new LogEngineFixture();
        fx.Write(1, MakeEntries(1, 50, term: 1, size: 200), new HardState(1, 1, 50));
        fx.Engine.Dispose();
        // Lose the data segments but keep the commit metadata, as a botched copy or restore would.
        var segments = Directory.EnumerateFiles(fx.Directory).Where(f => Path.GetFileName(f).Contains(".log.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(segments);
        segments.ForEach(File.Delete);
        var error = Assert.Throws<StorageException>(() => fx.Open().Dispose());
        Assert.Contains("empty", error.Message);
    }
}
