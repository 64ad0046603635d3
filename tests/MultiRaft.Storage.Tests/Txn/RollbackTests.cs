using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using static MultiRaft.Storage.Tests.Kv.TempEngine;
using static MultiRaft.Storage.Tests.Txn.TxnEngine;

namespace MultiRaft.Storage.Tests.Txn;

public sealed class RollbackTests
{
    [Fact]
    public void Rollback_drops_the_lock_and_value_and_leaves_a_rollback_record()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "k", Put("k", "v")));

        Assert.Empty(txn.Rollback(10, "k"));

        Assert.Empty(txn.Dump(KvColumn.Lock));
        Assert.Empty(txn.Dump(KvColumn.Data));
        Assert.Single(txn.Dump(KvColumn.Write));
        Assert.Null(txn.Get("k", 100));
    }

    [Fact]
    public void Rollback_of_a_committed_transaction_fails_with_its_commit_ts()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("a", "1"), Put("b", "1"));
        Assert.Empty(txn.Prewrite(30, "c", Put("c", "2")));

        var error = Assert.Single(txn.Rollback(10, "a", "c"));

        Assert.Equal((TxnErrorKind.AlreadyCommitted, "a", 20UL), (error.Kind, Text(error.Key), error.ConflictCommitTs));
        Assert.Equal(0, txn.LastStaged);
        Assert.Equal("1", txn.Get("a", 20));
    }

    [Fact]
    public void A_retried_rollback_succeeds_and_changes_nothing()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "k", Put("k", "v")));
        Assert.Empty(txn.Rollback(10, "k"));

        Assert.Empty(txn.Rollback(10, "k"));

        Assert.Equal(0, txn.LastStaged);
    }

    [Fact]
    public void A_rollback_before_the_prewrite_makes_the_late_prewrite_fail()
    {
        using var txn = new TxnEngine();

        Assert.Empty(txn.Rollback(10, "k"));

        Assert.Single(txn.Dump(KvColumn.Write));
        Assert.Equal(TxnErrorKind.AlreadyRolledBack, Assert.Single(txn.Prewrite(10, "k", Put("k", "late"))).Kind);
    }

    [Fact]
    public void Rollback_leaves_another_transactions_lock_and_value_alone()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(5, "k", Put("k", Long("other"))));

        Assert.Empty(txn.Rollback(10, "k"));

        Assert.Single(txn.Dump(KvColumn.Lock));
        Assert.Single(txn.Dump(KvColumn.Data));
        Assert.Empty(txn.Commit(5, 20, "k"));
        Assert.Equal(Long("other"), txn.Get("k", 20));
    }

    [Fact]
    public void A_rollback_record_never_overwrites_another_transactions_commit_at_the_same_ts()
    {
        using var txn = new TxnEngine();
        txn.Write(5, 10, Put("k", "v")); // committed at 10: only a non-unique clock could also start a transaction at 10

        Assert.Empty(txn.Rollback(10, "k"));

        Assert.Equal(0, txn.LastStaged);
        Assert.Equal("v", txn.Get("k", 10));
        Assert.Equal(TxnErrorKind.WriteConflict, Assert.Single(txn.Prewrite(10, "k", Put("k", "late"))).Kind);
    }
}
