using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using static MultiRaft.Storage.Tests.Kv.TempEngine;
using static MultiRaft.Storage.Tests.Txn.TxnEngine;

namespace MultiRaft.Storage.Tests.Txn;

public sealed class PrewriteTests
{
    [Fact]
    public void Prewrite_locks_every_key_and_keeps_a_short_put_value_in_its_lock()
    {
        using var txn = new TxnEngine();

        Assert.Empty(txn.Prewrite(10, "a", Put("a", "1"), Delete("b"), LockOnly("c")));

        var read = txn.Reader.Scan([], [], 10, readTs: 10);
        Assert.Empty(read.Pairs);
        Assert.Equal(["a", "b"], read.Locks.Select(l => Text(l.Key)));
        var lockA = read.Locks[0];
        Assert.Equal(("a", 10UL, DefaultTtlMs, MutationKind.Put), (Text(lockA.Primary), lockA.StartTs, lockA.TtlMs, lockA.Kind));
        Assert.Equal(MutationKind.Delete, read.Locks[1].Kind);
        Assert.Equal(3, txn.Dump(KvColumn.Lock).Count);
        Assert.Empty(txn.Dump(KvColumn.Data)); // the put's value is short: it sits in its lock
        Assert.Empty(txn.Dump(KvColumn.Write));
    }

    [Theory]
    [InlineData(MutationKind.Put)]
    [InlineData(MutationKind.Delete)]
    [InlineData(MutationKind.Lock)]
    public void A_commit_after_the_start_ts_is_a_write_conflict(MutationKind committed)
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, new TxnMutation(committed, Bytes("k"), committed == MutationKind.Put ? Bytes("old") : null));

        var errors = txn.Prewrite(15, "k", Put("k", "new"));

        var error = Assert.Single(errors);
        Assert.Equal((TxnErrorKind.WriteConflict, "k", 10UL, 20UL), (error.Kind, Text(error.Key), error.ConflictStartTs, error.ConflictCommitTs));
        Assert.Equal(0, txn.LastStaged);
    }

    [Fact]
    public void A_commit_before_the_start_ts_does_not_conflict()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("k", "old"));

        Assert.Empty(txn.Prewrite(21, "k", Put("k", "new")));
    }

    [Fact]
    public void The_newest_conflicting_commit_is_reported()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("k", "1"));
        txn.Write(30, 40, Put("k", "2"));

        var error = Assert.Single(txn.Prewrite(15, "k", Put("k", "new")));

        Assert.Equal((30UL, 40UL), (error.ConflictStartTs, error.ConflictCommitTs));
    }

    [Fact]
    public void A_transaction_rolled_back_on_a_key_cannot_prewrite_it_again()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "k", Put("k", "v")));
        Assert.Empty(txn.Rollback(10, "k"));

        var error = Assert.Single(txn.Prewrite(10, "k", Put("k", "v")));

        Assert.Equal(TxnErrorKind.AlreadyRolledBack, error.Kind);
        Assert.Equal(0, txn.LastStaged);
    }

    [Fact]
    public void Another_transactions_rollback_does_not_conflict()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Rollback(30, "k")); // transaction 30 gave up on k before prewriting it

        Assert.Empty(txn.Prewrite(20, "k", Put("k", "v")));
        Assert.Empty(txn.Commit(20, 40, "k"));
        Assert.Equal("v", txn.Get("k", 40));
    }

    [Fact]
    public void A_key_locked_by_another_transaction_fails_with_that_lock()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "p", Put("p", "1"), Put("k", "1")));

        var error = Assert.Single(txn.Prewrite(20, "k", Put("k", "2")));

        Assert.Equal((TxnErrorKind.Locked, "k"), (error.Kind, Text(error.Key)));
        Assert.Equal(("p", 10UL, MutationKind.Put), (Text(error.Lock!.Primary), error.Lock.StartTs, error.Lock.Kind));
        Assert.Equal(0, txn.LastStaged);
    }

    [Fact]
    public void A_retried_prewrite_changes_nothing()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "a", Put("a", "1"), Put("b", "2")));
        var locks = txn.Dump(KvColumn.Lock);

        Assert.Empty(txn.Prewrite(10, "a", Put("a", "1"), Put("b", "2")));

        Assert.Equal(0, txn.LastStaged);
        Assert.Equal(locks, txn.Dump(KvColumn.Lock));
    }

    [Fact]
    public void A_prewrite_retried_after_the_commit_skips_the_committed_keys()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("a", "1"));

        Assert.Empty(txn.Prewrite(10, "a", Put("a", "1")));

        Assert.Equal(0, txn.LastStaged);
        Assert.Empty(txn.Dump(KvColumn.Lock));
        Assert.Equal("1", txn.Get("a", 30));
    }

    [Fact]
    public void One_failing_key_fails_the_whole_prewrite_and_every_failure_is_reported()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "b", Put("b", "other")));
        txn.Write(11, 30, Put("d", "other"));

        var errors = txn.Prewrite(20, "a", Put("a", "1"), Put("b", "1"), Put("c", "1"), Put("d", "1"));

        Assert.Equal([(TxnErrorKind.Locked, "b"), (TxnErrorKind.WriteConflict, "d")], errors.Select(e => (e.Kind, Text(e.Key))));
        Assert.Equal(0, txn.LastStaged);
        Assert.Single(txn.Dump(KvColumn.Lock)); // b's, from the other transaction
    }

    [Fact]
    public void Invalid_input_is_rejected_before_anything_is_staged()
    {
        using var txn = new TxnEngine(new KvEngineOptions { MaxKeyBytes = 16, MaxValueBytes = 8 });
        using var batch = txn.Engine.NewWriteBatch();
        void Prewrite(ulong startTs, params TxnMutation[] mutations) =>
            MvccActions.Prewrite(txn.Engine, batch, mutations, Bytes("a"), startTs, 100);

        Assert.Throws<ArgumentException>(() => Prewrite(10, Put("a", "1"), Delete("b"), Put("a", "2")));
        Assert.Throws<ArgumentException>(() => Prewrite(10, new TxnMutation(MutationKind.Put, Bytes("a"))));
        Assert.Throws<ArgumentException>(() => Prewrite(10, new TxnMutation(MutationKind.Delete, Bytes("a"), Bytes("x"))));
        Assert.Throws<ArgumentException>(() => Prewrite(10, new TxnMutation((MutationKind)9, Bytes("a"))));
        Assert.Throws<ArgumentException>(() => Prewrite(10, Put("", "1")));
        Assert.Throws<ArgumentException>(() => Prewrite(10, Put(new string('k', 17), "1")));
        Assert.Throws<ArgumentException>(() => Prewrite(10, Put("a", "123456789")));
        Assert.Throws<ArgumentOutOfRangeException>(() => Prewrite(0, Put("a", "1")));
        Assert.Throws<ArgumentException>(() => MvccActions.Prewrite(txn.Engine, batch, [Put("a", "1")], [], 10, 100));
        Assert.Equal(0, batch.Count);
    }
}
