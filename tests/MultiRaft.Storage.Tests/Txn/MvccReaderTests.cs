using System.Text;
using MultiRaft.Storage.Txn;
using static MultiRaft.Storage.Tests.Kv.TempEngine;
using static MultiRaft.Storage.Tests.Txn.TxnEngine;

namespace MultiRaft.Storage.Tests.Txn;

public sealed class MvccReaderTests
{
    [Fact]
    public void A_read_finds_the_version_committed_last_at_or_before_its_ts()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("k", "v1"));
        txn.Write(30, 40, Put("k", "v2"));
        Assert.Empty(txn.Rollback(45, "k"));
        txn.Write(50, 55, LockOnly("k"));
        txn.Write(60, 70, Put("k", "v3"));

        Assert.Null(txn.Get("k", 19));
        Assert.Equal("v1", txn.Get("k", 20));
        Assert.Equal("v1", txn.Get("k", 39));
        Assert.Equal("v2", txn.Get("k", 40));
        Assert.Equal("v2", txn.Get("k", 69)); // past a rollback and a lock record
        Assert.Equal("v3", txn.Get("k", 70));
        Assert.Equal("v3", txn.Get("k", ulong.MaxValue));
    }

    [Fact]
    public void A_lock_blocks_reads_at_or_after_its_start_ts_but_not_before()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("k", "old"));
        Assert.Empty(txn.Prewrite(30, "k", Put("k", "new")));

        Assert.Equal("old", txn.Get("k", 29));
        var blocked = txn.Reader.Get(Bytes("k"), 30);
        Assert.Empty(blocked.Pairs);
        Assert.Equal(30UL, Assert.Single(blocked.Locks).StartTs);
        Assert.Single(txn.Reader.Get(Bytes("k"), 1_000).Locks);
    }

    [Fact]
    public void A_delete_lock_blocks_but_a_lock_only_lock_does_not()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("d", "1"), Put("l", "1"));
        Assert.Empty(txn.Prewrite(30, "d", Delete("d"), LockOnly("l")));

        Assert.Single(txn.Reader.Get(Bytes("d"), 40).Locks);
        Assert.Equal("1", txn.Get("l", 40));
    }

    [Fact]
    public void BatchGet_returns_visible_pairs_in_request_order_and_the_blocking_locks()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("a", "1"), Put("b", "2"), Put("c", "3"));
        Assert.Empty(txn.Prewrite(30, "b", Put("b", "new")));

        var result = txn.Reader.BatchGet([Bytes("c"), Bytes("missing"), Bytes("b"), Bytes("a")], 40);

        Assert.Null(result.Error);
        Assert.Equal(["c=3", "a=1"], result.Pairs.Select(p => $"{Text(p.Key)}={Text(p.Value)}"));
        Assert.Equal("b", Text(Assert.Single(result.Locks).Key));
    }

    [Fact]
    public void Scan_returns_visible_pairs_in_user_key_order_within_the_range()
    {
        using var txn = new TxnEngine();
        // Keys that share prefixes, hold zero and 0xFF bytes and span groups of the memcomparable encoding.
        byte[][] keys =
        [
            [.. "c"u8], [.. "a"u8], [.. "b"u8, 0xFF], [.. "a"u8, 0], [.. "aaaaaaaa"u8], [.. "ab"u8], [.. "a"u8, 0, 0],
            [.. "b"u8], [.. "aaaaaaaa"u8, 0], [.. "b"u8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        ];
        for (var i = 0; i < keys.Length; i++)
        {
            txn.Write(10 + (2 * (ulong)i), 11 + (2 * (ulong)i), new TxnMutation(MutationKind.Put, keys[i], Bytes($"v{i}")));
        }
        txn.Write(50, 51, Delete("ab"));
        var expected = keys.Where(k => !k.AsSpan().SequenceEqual("ab"u8)).Order(Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y)));

        var all = txn.Reader.Scan([], [], 100, 100);
        var range = txn.Reader.Scan([.. "a"u8, 0], Bytes("b"), 100, 100);
        var limited = txn.Reader.Scan(Bytes("a"), [], 2, 100);
        var older = txn.Reader.Scan([], [], 100, 15);

        Assert.Equal(expected, all.Pairs.Select(p => p.Key));
        Assert.Equal(["v3", "v6", "v4", "v8"], range.Pairs.Select(p => Text(p.Value)));
        Assert.Equal(["v1", "v3"], limited.Pairs.Select(p => Text(p.Value)));
        Assert.Equal(["v1", "v2", "v0"], older.Pairs.Select(p => Text(p.Value)));
    }

    [Fact]
    public void Scan_reports_the_blocking_locks_up_to_where_it_stopped()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("a", "1"), Put("c", "3"), Put("e", "5"));
        Assert.Empty(txn.Prewrite(30, "b", Put("b", "2"), Delete("c"), Put("f", "6")));

        var stopped = txn.Reader.Scan([], [], 2, 40);
        var exhausted = txn.Reader.Scan([], [], 10, 40);

        Assert.Equal(["a", "e"], stopped.Pairs.Select(p => Text(p.Key)));
        Assert.Equal(["b", "c"], stopped.Locks.Select(l => Text(l.Key)));
        Assert.Equal(["b", "c", "f"], exhausted.Locks.Select(l => Text(l.Key)));
        var before = txn.Reader.Scan([], [], 10, 25);
        Assert.Equal(["a", "c", "e"], before.Pairs.Select(p => Text(p.Key)));
        Assert.Empty(before.Locks);
    }

    [Fact]
    public void Raw_and_transactional_key_spaces_do_not_see_each_other()
    {
        using var txn = new TxnEngine();
        using (var batch = txn.Engine.NewWriteBatch())
        {
            batch.Put(Bytes("raw"), Bytes("r"));
            txn.Engine.Write(batch, sync: false);
        }
        txn.Write(10, 20, Put("txn", "t"));

        Assert.Null(txn.Get("raw", 100));
        Assert.Null(txn.Engine.Get(Bytes("txn")));
        Assert.Equal(["raw"], txn.Engine.Scan([], [], 10).Select(p => Text(p.Key)));
        Assert.Equal(["txn"], txn.Reader.Scan([], [], 10, 100).Pairs.Select(p => Text(p.Key)));
    }

    [Fact]
    public void A_lock_scan_lists_the_locks_started_at_or_before_its_ts_in_key_order()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "b", Put("b", "1"), Put("d", "1")));
        Assert.Empty(txn.Prewrite(20, "c", Put("c", "2")));
        Assert.Empty(txn.Prewrite(30, "a", Put("a", "3")));

        var old = txn.Reader.ScanLocks([], [], 20, 10);
        Assert.Equal(["b", "c", "d"], old.Select(l => Encoding.UTF8.GetString(l.Key)));
        Assert.Equal([10UL, 20UL, 10UL], old.Select(l => l.StartTs));
        Assert.Equal(["b"], txn.Reader.ScanLocks([], [], 20, 1).Select(l => Encoding.UTF8.GetString(l.Key)));
        Assert.Equal(["c"], txn.Reader.ScanLocks(Bytes("c"), Bytes("d"), 100, 10).Select(l => Encoding.UTF8.GetString(l.Key)));
    }
}
