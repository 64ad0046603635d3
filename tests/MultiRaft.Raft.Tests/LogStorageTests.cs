namespace MultiRaft.Raft.Tests;

/// <summary>The log as a node sees it: <see cref="MemoryStorage"/> (stable), <see cref="UnstableLog"/>
/// (written but not yet persisted) and <see cref="RaftLog"/> on top of both.</summary>
public class LogStorageTests
{
    private static readonly ulong[] Three = [1, 2, 3];

    private static Snapshot SnapshotAt(ulong index, ulong term) =>
        new(new SnapshotMetadata(index, term, ConfState.OfVoters(Three)), "snap"u8.ToArray());

    /// <summary>Storage holding a snapshot at (10, 3) and entries 11..15 of terms 3, 3, 4, 4, 4.</summary>
    private static MemoryStorage Compacted()
    {
        var storage = new MemoryStorage();
        storage.ApplySnapshot(SnapshotAt(10, 3));
        storage.Append(Drive.Entries(11, 3, 3, 4, 4, 4));
        return storage;
    }

    private static List<Entry> Read(MemoryStorage storage, ulong lo, ulong hi, out LogRead result, long maxBytes = long.MaxValue)
    {
        var into = new List<Entry>();
        result = storage.Entries(lo, hi, maxBytes, into);
        return into;
    }

    private static List<Entry> Slice(RaftLog log, ulong lo, ulong hi, out LogRead result, long maxBytes = long.MaxValue)
    {
        var into = new List<Entry>();
        result = log.Slice(lo, hi, maxBytes, into);
        return into;
    }

    // ---- MemoryStorage ----

    [Fact]
    public void Storage_append_overwrites_a_conflicting_suffix()
    {
        var storage = Drive.Storage(Three, 1, 1, 1, 1, 1);

        storage.Append(Drive.Entries(3, 2, 2));

        Assert.Equal(4UL, storage.LastIndex);
        var entries = Read(storage, 1, 5, out var result);
        Assert.Equal(LogRead.Ok, result);
        Assert.Equal([1UL, 1UL, 2UL, 2UL], entries.Select(e => e.Term));
        Assert.Equal("3@2", StepNetwork.Text(entries[2]));
    }

    [Fact]
    public void Storage_append_skips_entries_already_compacted_and_refuses_a_gap()
    {
        var storage = Compacted();

        storage.Append(Drive.Entries(9, 3, 3, 5)); // 9 and 10 are in the snapshot; 11 onwards replace
        Assert.Equal(11UL, storage.LastIndex);
        storage.Term(11, out var term);
        Assert.Equal(5UL, term);

        Assert.Throws<InvalidOperationException>(() => storage.Append(Drive.Entries(13, 5)));
    }

    [Fact]
    public void Storage_reads_below_the_first_index_report_compacted_never_stale_entries()
    {
        var storage = Compacted();

        Assert.Equal((11UL, 15UL), (storage.FirstIndex, storage.LastIndex));
        Assert.Empty(Read(storage, 5, 12, out var below));
        Assert.Equal(LogRead.Compacted, below);
        Assert.Empty(Read(storage, 10, 12, out var atSnapshot));
        Assert.Equal(LogRead.Compacted, atSnapshot);
        Assert.Equal(LogRead.Compacted, storage.Term(9, out _));
        Assert.Equal(LogRead.Ok, storage.Term(10, out var snapshotTerm)); // the snapshot's own index keeps its term
        Assert.Equal(3UL, snapshotTerm);
        Assert.Equal([11UL, 12UL], Read(storage, 11, 13, out var ok).Select(e => e.Index));
        Assert.Equal(LogRead.Ok, ok);
    }

    [Fact]
    public void Storage_reads_beyond_the_last_index_report_unavailable()
    {
        var storage = Compacted();

        Assert.Empty(Read(storage, 14, 17, out var result));
        Assert.Equal(LogRead.Unavailable, result);
        Assert.Equal(LogRead.Unavailable, storage.Term(16, out _));
    }

    [Fact]
    public void Storage_reads_stop_at_the_size_limit_but_return_at_least_one_entry()
    {
        var storage = Drive.Storage(Three, 1, 1, 1, 1);
        var one = Drive.Entries(1, 1)[0].SizeBytes;

        Assert.Single(Read(storage, 1, 5, out _, maxBytes: 1));
        Assert.Equal(2, Read(storage, 1, 5, out _, maxBytes: 2 * one).Count);
        Assert.Equal(4, Read(storage, 1, 5, out _).Count);
    }

    [Fact]
    public void Storage_compaction_keeps_the_term_of_the_last_compacted_entry_and_snapshots_are_monotonic()
    {
        var storage = Drive.Storage(Three, 1, 1, 2, 2, 3);
        var snapshot = storage.CreateSnapshot(4, ConfState.OfVoters(Three), "s"u8.ToArray());
        storage.Compact(4);

        Assert.Equal((4UL, 2UL), (snapshot.Metadata.Index, snapshot.Metadata.Term));
        Assert.Equal((5UL, 5UL), (storage.FirstIndex, storage.LastIndex));
        Assert.Equal(LogRead.Ok, storage.Term(4, out var term));
        Assert.Equal(2UL, term);
        Assert.Throws<InvalidOperationException>(() => storage.CreateSnapshot(3, ConfState.OfVoters(Three), default));
        Assert.Throws<InvalidOperationException>(() => storage.CreateSnapshot(9, ConfState.OfVoters(Three), default));
        Assert.Throws<InvalidOperationException>(() => storage.Compact(9));
    }

    [Fact]
    public void Storage_installing_a_snapshot_replaces_the_whole_log()
    {
        var storage = Drive.Storage(Three, 1, 1, 1);

        storage.ApplySnapshot(SnapshotAt(20, 4));

        Assert.Equal((21UL, 20UL), (storage.FirstIndex, storage.LastIndex));
        Assert.Equal(LogRead.Compacted, storage.Term(2, out _));
        Assert.Throws<InvalidOperationException>(() => storage.ApplySnapshot(SnapshotAt(20, 4)));
    }

    // ---- UnstableLog ----

    [Fact]
    public void Unstable_appends_directly_after_its_entries()
    {
        var unstable = new UnstableLog(5);
        unstable.TruncateAndAppend(Drive.Entries(5, 1, 1));
        unstable.TruncateAndAppend(Drive.Entries(7, 1));

        Assert.Equal((5UL, 3, 7UL), (unstable.Offset, unstable.Count, unstable.MaybeLastIndex()!.Value));
    }

    [Fact]
    public void Unstable_append_inside_its_entries_drops_the_replaced_suffix()
    {
        var unstable = new UnstableLog(5);
        unstable.TruncateAndAppend(Drive.Entries(5, 1, 1, 1));

        unstable.TruncateAndAppend(Drive.Entries(6, 2));

        Assert.Equal((5UL, 2), (unstable.Offset, unstable.Count));
        Assert.True(unstable.TryTerm(6, out var term));
        Assert.Equal(2UL, term);
        Assert.False(unstable.TryTerm(7, out _));
    }

    [Fact]
    public void Unstable_append_before_its_offset_replaces_everything_unstable_and_moves_the_offset_back()
    {
        var unstable = new UnstableLog(5);
        unstable.TruncateAndAppend(Drive.Entries(5, 1, 1));

        unstable.TruncateAndAppend(Drive.Entries(3, 2));

        Assert.Equal((3UL, 1), (unstable.Offset, unstable.Count));
        Assert.True(unstable.TryTerm(3, out var term));
        Assert.Equal(2UL, term);
    }

    [Fact]
    public void Unstable_stable_to_drops_a_persisted_prefix_only_if_the_entry_was_not_replaced_meanwhile()
    {
        var unstable = new UnstableLog(5);
        unstable.TruncateAndAppend(Drive.Entries(5, 1, 1, 1));

        unstable.StableTo(6, 2); // the host persisted (6, term 2)? Not what we hold: ignore
        Assert.Equal((5UL, 3), (unstable.Offset, unstable.Count));

        unstable.StableTo(6, 1);
        Assert.Equal((7UL, 1), (unstable.Offset, unstable.Count));

        unstable.StableTo(5, 1); // already stable
        Assert.Equal((7UL, 1), (unstable.Offset, unstable.Count));
    }

    [Fact]
    public void Unstable_snapshot_defines_first_and_last_index_until_persisted()
    {
        var unstable = new UnstableLog(3);
        unstable.TruncateAndAppend(Drive.Entries(3, 1));

        unstable.Restore(SnapshotAt(10, 4));

        Assert.Equal((11UL, 0), (unstable.Offset, unstable.Count));
        Assert.Equal(((ulong?)11, (ulong?)10), (unstable.MaybeFirstIndex(), unstable.MaybeLastIndex()));
        Assert.True(unstable.TryTerm(10, out var term));
        Assert.Equal(4UL, term);
        Assert.False(unstable.TryTerm(9, out _));

        unstable.StableSnapTo(9); // some other snapshot: keep ours
        Assert.NotNull(unstable.Snapshot);
        unstable.StableSnapTo(10);
        Assert.Null(unstable.Snapshot);
    }

    // ---- RaftLog ----

    [Fact]
    public void Log_term_lookup_is_valid_from_the_snapshot_index_to_the_last_index()
    {
        var log = new RaftLog(Compacted());
        log.Append(Drive.Entries(16, 5));

        Assert.Equal((11UL, 16UL, 5UL), (log.FirstIndex, log.LastIndex, log.LastTerm));
        Assert.Equal(LogRead.Compacted, log.Term(9, out _));
        Assert.Equal((LogRead.Ok, 3UL), (log.Term(10, out var t10), t10));
        Assert.Equal((LogRead.Ok, 4UL), (log.Term(15, out var t15), t15)); // stable
        Assert.Equal((LogRead.Ok, 5UL), (log.Term(16, out var t16), t16)); // unstable
        Assert.Equal(LogRead.Unavailable, log.Term(17, out _));
        Assert.Equal(0UL, log.TermOrZero(9));
    }

    [Fact]
    public void Log_conflicting_append_hides_the_stale_stable_suffix_even_before_it_is_overwritten()
    {
        var storage = Drive.Storage(Three, 1, 1, 2, 2);
        var log = new RaftLog(storage);

        Assert.Equal(3UL, log.MaybeAppend(1, 1, 0, Drive.Entries(2, 3, 3)));

        // Storage still holds 2@1, 3@2 and 4@2 until the host persists; the log must never show them.
        Assert.Equal(4UL, storage.LastIndex);
        Assert.Equal(3UL, log.LastIndex);
        Assert.Equal(LogRead.Unavailable, log.Term(4, out _));
        var entries = Slice(log, 1, 4, out var result);
        Assert.Equal(LogRead.Ok, result);
        Assert.Equal(["1@1", "2@3", "3@3"], entries.Select(StepNetwork.Text));
        Assert.Equal(1UL, log.StableLastIndex);
    }

    [Fact]
    public void Log_append_that_fails_the_consistency_check_changes_nothing()
    {
        var log = new RaftLog(Drive.Storage(Three, 1, 1, 2));

        Assert.Null(log.MaybeAppend(3, 3, 3, Drive.Entries(4, 3)));
        Assert.Null(log.MaybeAppend(5, 2, 3, Drive.Entries(6, 3)));

        Assert.Equal((3UL, 0UL), (log.LastIndex, log.Committed));
    }

    [Fact]
    public void Log_refuses_to_overwrite_committed_entries()
    {
        var log = new RaftLog(Drive.Storage(Three, 1, 1, 2));
        log.CommitTo(3);

        Assert.Throws<InvalidOperationException>(() => log.MaybeAppend(1, 1, 3, Drive.Entries(2, 5)));
        Assert.Throws<InvalidOperationException>(() => log.Append(Drive.Entries(3, 5)));
        Assert.Equal(2UL, log.TermOrZero(3));
    }

    [Fact]
    public void Log_commit_index_only_moves_forward_and_never_past_the_last_entry()
    {
        var log = new RaftLog(Drive.Storage(Three, 1, 1, 2));
        log.CommitTo(2);
        log.CommitTo(1);

        Assert.Equal(2UL, log.Committed);
        Assert.Throws<InvalidOperationException>(() => log.CommitTo(4));
        Assert.False(log.MaybeCommit(3, term: 1)); // entry 3 is of term 2
        Assert.True(log.MaybeCommit(3, term: 2));
        Assert.Throws<InvalidOperationException>(() => log.AppliedTo(4));
    }

    [Fact]
    public void Log_slice_below_the_first_index_reports_compacted()
    {
        var log = new RaftLog(Compacted());

        Assert.Empty(Slice(log, 10, 13, out var result));
        Assert.Equal(LogRead.Compacted, result);
        Assert.Equal(LogRead.Compacted, log.EntriesFrom(3, long.MaxValue, out _));
    }

    [Fact]
    public void Log_slice_joins_stable_and_unstable_parts_in_order_within_the_size_limit()
    {
        var log = new RaftLog(Drive.Storage(Three, 1, 1, 1));
        log.Append(Drive.Entries(4, 2, 2));
        var one = Drive.Entries(1, 1)[0].SizeBytes;

        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL], Slice(log, 1, 6, out _).Select(e => e.Index));
        Assert.Equal([2UL, 3UL, 4UL], Slice(log, 2, 6, out _, maxBytes: 3 * one).Select(e => e.Index));
        Assert.Equal([2UL], Slice(log, 2, 6, out _, maxBytes: 1).Select(e => e.Index));
        Assert.Empty(Slice(log, 4, 7, out var beyond));
        Assert.Equal(LogRead.Unavailable, beyond);
    }

    [Theory]
    // log: terms 2, 2, 5, 5, 5 at indexes 1..5
    [InlineData(100UL, 2UL, 100UL, 0UL)] // beyond the log: nothing known
    [InlineData(5UL, 6UL, 5UL, 5UL)]
    [InlineData(5UL, 5UL, 5UL, 5UL)]
    [InlineData(5UL, 4UL, 2UL, 2UL)] // skip the whole run of 5s
    [InlineData(5UL, 2UL, 2UL, 2UL)]
    [InlineData(5UL, 1UL, 0UL, 0UL)]
    [InlineData(1UL, 2UL, 1UL, 2UL)]
    [InlineData(1UL, 1UL, 0UL, 0UL)]
    [InlineData(0UL, 0UL, 0UL, 0UL)]
    public void Find_conflict_by_term_returns_the_last_index_at_or_below_whose_term_is_not_greater(
        ulong index, ulong term, ulong wantIndex, ulong wantTerm)
    {
        var log = new RaftLog(Drive.Storage(Three, 2, 2, 5, 5, 5));

        Assert.Equal((wantIndex, wantTerm), log.FindConflictByTerm(index, term));
    }

    [Theory]
    // snapshot (10, 3), then terms 3, 3, 4, 4, 4 at indexes 11..15
    [InlineData(30UL, 3UL, 30UL)]
    [InlineData(14UL, 9UL, 14UL)]
    [InlineData(14UL, 4UL, 14UL)]
    [InlineData(14UL, 3UL, 12UL)]
    [InlineData(14UL, 2UL, 9UL)] // runs into the compacted part: stop there
    [InlineData(11UL, 5UL, 11UL)]
    [InlineData(10UL, 5UL, 10UL)]
    [InlineData(10UL, 3UL, 10UL)]
    [InlineData(10UL, 2UL, 9UL)]
    [InlineData(9UL, 2UL, 9UL)]
    [InlineData(4UL, 2UL, 4UL)]
    [InlineData(0UL, 0UL, 0UL)]
    public void Find_conflict_by_term_stops_at_the_compacted_prefix(ulong index, ulong term, ulong wantIndex)
    {
        var log = new RaftLog(Compacted());

        Assert.Equal(wantIndex, log.FindConflictByTerm(index, term).Index);
    }
}
