using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using static MultiRaft.Storage.Tests.Kv.TempEngine;
using static MultiRaft.Storage.Tests.Txn.TxnEngine;

namespace MultiRaft.Storage.Tests.Txn;

public sealed class ResolveLockTests
{
    [Fact]
    public void Commits_the_transactions_locks_in_the_range_and_nothing_else()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "b", Put("b", "1"), Put("c", "1"), Delete("d"), Put("x", "1")));
        Assert.Empty(txn.Prewrite(11, "e", Put("e", "other")));

        Assert.Equal(3, txn.ResolveLock("a", "m", 10, 20));

        Assert.Equal("1", txn.Get("c", 20));
        Assert.Null(txn.Get("d", 20));
        Assert.Equal(["e", "x"], txn.Reader.Scan([], [], 10, 30).Locks.Select(l => Text(l.Key)));
    }

    [Fact]
    public void Commit_ts_zero_rolls_the_locks_back()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "b", Put("b", "1"), Put("c", "1")));

        Assert.Equal(2, txn.ResolveLock("", "", 10, 0));

        Assert.Empty(txn.Dump(KvColumn.Lock));
        Assert.Empty(txn.Dump(KvColumn.Data));
        Assert.Equal(TxnErrorKind.AlreadyRolledBack, Assert.Single(txn.Commit(10, 20, "b")).Kind);
    }

    [Fact]
    public void A_blocked_reader_resolves_through_the_primary_and_reads_again()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "p", Put("p", "1"), Put("s", "2")));
        Assert.Empty(txn.Commit(10, 20, "p")); // the client died before committing the secondary

        var blocked = txn.Reader.Get(Bytes("s"), 30);
        var lockOnS = Assert.Single(blocked.Locks);
        var status = txn.CheckTxnStatus(Text(lockOnS.Primary), lockOnS.StartTs, 30);
        Assert.Equal(TxnStatusKind.Committed, status.Kind);
        Assert.Equal(1, txn.ResolveLock("s", "s\0", lockOnS.StartTs, status.CommitTs));

        Assert.Equal("2", txn.Get("s", 30));
    }

    [Fact]
    public void The_commit_ts_must_follow_the_start_ts()
    {
        using var txn = new TxnEngine();
        using var batch = txn.Engine.NewWriteBatch();
        Assert.Throws<ArgumentException>(() => MvccActions.ResolveLock(txn.Engine, batch, [], [], 10, 5));
        Assert.Equal(0, batch.Count);
    }
}
