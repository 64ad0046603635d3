using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using static MultiRaft.Storage.Tests.Kv.TempEngine;
using static MultiRaft.Storage.Tests.Txn.TxnEngine;

namespace MultiRaft.Storage.Tests.Txn;

public sealed class CommitTests
{
    [Fact]
    public void Commit_turns_the_locks_into_write_records_visible_from_the_commit_ts()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "a", Put("a", "1"), Put("b", "2")));

        Assert.Empty(txn.Commit(10, 20, "a", "b"));

        Assert.Empty(txn.Dump(KvColumn.Lock));
        Assert.Equal(2, txn.Dump(KvColumn.Write).Count);
        Assert.Null(txn.Get("a", 19));
        Assert.Equal("1", txn.Get("a", 20));
        Assert.Equal("2", txn.Get("b", 1_000));
    }

    [Fact]
    public void A_retried_commit_succeeds_and_changes_nothing()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("a", "1"));
        var writes = txn.Dump(KvColumn.Write);

        Assert.Empty(txn.Commit(10, 20, "a"));

        Assert.Equal(0, txn.LastStaged);
        Assert.Equal(writes, txn.Dump(KvColumn.Write));
    }

    [Fact]
    public void A_committed_delete_is_a_tombstone_from_its_commit_ts()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("k", "v"));
        txn.Write(30, 40, Delete("k"));

        Assert.Equal("v", txn.Get("k", 39));
        Assert.Null(txn.Get("k", 40));
        Assert.Null(txn.Get("k", 100));
    }

    [Fact]
    public void A_committed_lock_changes_no_value()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("k", "v"));
        txn.Write(30, 40, LockOnly("k"));

        Assert.Equal("v", txn.Get("k", 50));
    }

    [Fact]
    public void Commit_after_a_rollback_fails_with_already_rolled_back()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "k", Put("k", "v")));
        Assert.Empty(txn.Rollback(10, "k"));

        var error = Assert.Single(txn.Commit(10, 20, "k"));

        Assert.Equal(TxnErrorKind.AlreadyRolledBack, error.Kind);
        Assert.Null(txn.Get("k", 30));
    }

    [Fact]
    public void Commit_without_a_lock_or_an_outcome_fails_with_lock_not_found()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(5, "k", Put("k", "someone else's")));

        var error = Assert.Single(txn.Commit(10, 20, "k"));

        Assert.Equal((TxnErrorKind.LockNotFound, "k"), (error.Kind, Text(error.Key)));
        Assert.Equal(0, txn.LastStaged);
        Assert.Single(txn.Dump(KvColumn.Lock));
    }

    [Fact]
    public void One_failing_key_fails_the_whole_commit()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "a", Put("a", "1")));

        var error = Assert.Single(txn.Commit(10, 20, "a", "b"));

        Assert.Equal("b", Text(error.Key));
        Assert.Equal(0, txn.LastStaged);
        Assert.Single(txn.Dump(KvColumn.Lock));
        Assert.Empty(txn.Dump(KvColumn.Write));
    }

    [Fact]
    public void The_commit_ts_must_follow_the_start_ts()
    {
        using var txn = new TxnEngine();
        using var batch = txn.Engine.NewWriteBatch();

        Assert.Throws<ArgumentException>(() => MvccActions.Commit(txn.Engine, batch, [Bytes("k")], 10, 10));
        Assert.Throws<ArgumentException>(() => MvccActions.Commit(txn.Engine, batch, [Bytes("k")], 10, 9));
        Assert.Throws<ArgumentException>(() => MvccActions.Commit(txn.Engine, batch, [Bytes("k"), Bytes("k")], 10, 20));
        Assert.Equal(0, batch.Count);
    }
}
