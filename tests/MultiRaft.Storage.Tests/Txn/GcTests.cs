using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using static MultiRaft.Storage.Tests.Kv.TempEngine;
using static MultiRaft.Storage.Tests.Txn.TxnEngine;

namespace MultiRaft.Storage.Tests.Txn;

public sealed class GcTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gc_keeps_the_newest_version_at_or_below_the_safe_point_and_what_is_above_it(bool longValues)
    {
        using var txn = new TxnEngine();
        Func<string, string> value = longValues ? Long : v => v;
        txn.Write(10, 20, Put("k", value("v1")));
        Assert.Empty(txn.Rollback(25, "k"));
        txn.Write(30, 40, Put("k", value("v2")));
        txn.Write(42, 44, LockOnly("k"));
        txn.Write(50, 60, Put("k", value("v3")));

        var result = txn.Gc("", "", safePoint: 50);

        Assert.Equal(new GcResult(3, null), result); // v1's record, the rollback and the lock record
        Assert.Equal(value("v2"), txn.Get("k", 50));
        Assert.Equal(value("v3"), txn.Get("k", 60));
        Assert.Equal(2, txn.Dump(KvColumn.Write).Count);
        // Long: v1's value went with its record. Short: the values never left their records.
        Assert.Equal(longValues ? 2 : 0, txn.Dump(KvColumn.Data).Count);
    }

    [Fact]
    public void Gc_drops_a_newest_delete_and_everything_older()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("k", "v1"));
        txn.Write(30, 40, Delete("k"));

        Assert.Equal(2, txn.Gc("", "", safePoint: 45).VersionsDeleted);

        Assert.Empty(txn.Dump(KvColumn.Write));
        Assert.Empty(txn.Dump(KvColumn.Data));
        Assert.Null(txn.Get("k", 45));
    }

    [Fact]
    public void Reads_below_the_safe_point_fail_with_too_old_and_at_it_they_see_what_they_saw_before()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("a", "1"));
        txn.Write(30, 40, Put("a", "2"), Put("b", "2"));

        txn.Gc("", "", safePoint: 35);

        var get = txn.Reader.Get(Bytes("a"), 34);
        Assert.Equal((TxnErrorKind.TooOld, "a"), (get.Error!.Kind, Text(get.Error.Key)));
        Assert.Empty(get.Pairs);
        Assert.Equal(TxnErrorKind.TooOld, txn.Reader.Scan(Bytes("a"), [], 10, 1).Error!.Kind);
        Assert.Equal(TxnErrorKind.TooOld, txn.Reader.BatchGet([Bytes("b")], 20).Error!.Kind);
        Assert.Equal("1", txn.Get("a", 35));
        Assert.Equal("2", txn.Get("a", 40));
    }

    [Fact]
    public void Gc_leaves_locks_alone()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("k", "v1"));
        Assert.Empty(txn.Prewrite(30, "k", Put("k", "v2")));

        txn.Gc("", "", safePoint: 100);

        Assert.Single(txn.Dump(KvColumn.Lock));
        Assert.Empty(txn.Commit(30, 110, "k"));
        Assert.Equal("v2", txn.Get("k", 110));
    }

    [Fact]
    public void Gc_goes_at_most_max_keys_per_call_and_says_where_to_resume()
    {
        using var txn = new TxnEngine();
        foreach (var key in new[] { "a", "b", "c", "d", "e" })
        {
            txn.Write(10, 20, Put(key, "old"));
            txn.Write(30, 40, Put(key, "new"));
        }

        var first = txn.Gc("b", "", safePoint: 50, maxKeys: 2);
        var second = txn.Gc(Text(first.ResumeKey), "", safePoint: 50, maxKeys: 1);
        var last = txn.Gc(Text(second.ResumeKey), "", safePoint: 50, maxKeys: 5);

        Assert.Equal((2, "d"), (first.VersionsDeleted, Text(first.ResumeKey)));
        Assert.Equal((1, "e"), (second.VersionsDeleted, Text(second.ResumeKey)));
        Assert.Equal(new GcResult(1, null), last);
        Assert.Equal(6, txn.Dump(KvColumn.Write).Count); // a's two versions and one each for b..e
    }

    [Fact]
    public void The_safe_point_survives_a_restart_and_never_goes_back()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("k", "v"));
        txn.Gc("", "", safePoint: 30);
        txn.Gc("", "", safePoint: 25);

        txn.Reopen();

        Assert.Equal(30UL, txn.Engine.GcSafePoint);
        Assert.Equal(TxnErrorKind.TooOld, txn.Reader.Get(Bytes("k"), 29).Error!.Kind);
        Assert.Equal("v", txn.Get("k", 30));
    }

    [Fact]
    public void A_gc_batch_that_is_never_written_leaves_the_safe_point_as_it_was()
    {
        using var txn = new TxnEngine();
        using (var batch = txn.Engine.NewWriteBatch())
        {
            MvccActions.Gc(txn.Engine, batch, [], [], 30, 10);
        }

        Assert.Equal(0UL, txn.Engine.GcSafePoint);
    }
}
