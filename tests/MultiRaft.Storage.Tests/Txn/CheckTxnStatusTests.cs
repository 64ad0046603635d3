using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using static MultiRaft.Storage.Tests.Txn.TxnEngine;

namespace MultiRaft.Storage.Tests.Txn;

public sealed class CheckTxnStatusTests
{
    // PD timestamps: physical milliseconds in the high bits.
    private static readonly ulong StartTs = TxnTimestamp.Compose(1_000_000, 5);

    private static ulong MsAfterStart(ulong ms) => TxnTimestamp.Compose(1_000_000 + ms, 0);

    [Fact]
    public void A_live_lock_on_the_primary_reports_locked_with_the_lock()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.PrewriteWithTtl(StartTs, "p", 100, Put("p", "v")));

        var status = txn.CheckTxnStatus("p", StartTs, MsAfterStart(99));

        Assert.Equal(TxnStatusKind.Locked, status.Kind);
        Assert.Equal((StartTs, 100UL), (status.Lock!.StartTs, status.Lock.TtlMs));
        Assert.Equal(0, txn.LastStaged);
    }

    [Fact]
    public void An_expired_lock_is_rolled_back_once_its_ttl_has_passed_in_physical_time()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.PrewriteWithTtl(StartTs, "p", 100, Put("p", "v"), Put("s", "v")));

        var status = txn.CheckTxnStatus("p", StartTs, MsAfterStart(100));

        Assert.Equal(TxnStatusKind.RolledBack, status.Kind);
        Assert.Single(txn.Dump(KvColumn.Lock)); // the secondary's, for ResolveLock to clean up
        Assert.Equal(TxnErrorKind.AlreadyRolledBack, Assert.Single(txn.Commit(StartTs, MsAfterStart(101), "p")).Kind);
    }

    [Fact]
    public void A_committed_primary_reports_its_commit_ts()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("p", "v"));

        var status = txn.CheckTxnStatus("p", 10, 30);

        Assert.Equal((TxnStatusKind.Committed, 20UL), (status.Kind, status.CommitTs));
        Assert.Equal(0, txn.LastStaged);
    }

    [Fact]
    public void A_rolled_back_primary_reports_rolled_back()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "p", Put("p", "v")));
        Assert.Empty(txn.Rollback(10, "p"));

        Assert.Equal(TxnStatusKind.RolledBack, txn.CheckTxnStatus("p", 10, 30).Kind);
        Assert.Equal(0, txn.LastStaged);
    }

    [Fact]
    public void A_primary_without_any_trace_is_rolled_back_so_the_transaction_can_never_commit()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(5, "p", Put("p", "another transaction's")));

        Assert.Equal(TxnStatusKind.RolledBack, txn.CheckTxnStatus("p", 10, 30).Kind);

        Assert.Single(txn.Dump(KvColumn.Write));
        Assert.Empty(txn.Commit(5, 20, "p")); // the other lock was left alone
        Assert.Equal(TxnErrorKind.AlreadyRolledBack, Assert.Single(txn.Prewrite(10, "p", Put("p", "late"))).Kind);
    }
}
