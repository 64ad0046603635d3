namespace MultiRaft.Protocol.Txn;

/// <summary>The RPC method names of a store's transactional (Percolator) KV service. Every request names its
/// region and epoch like the raw KV service, and refusals come back as the same region errors; problems with
/// a key (a lock in the way, a write conflict) come back as <see cref="KeyError"/>s.</summary>
public static class TxnMethods
{
    /// <summary><see cref="TxnGetRequest"/> → <see cref="TxnReadResponse"/>.</summary>
    public const string Get = "txn.get";

    /// <summary><see cref="TxnBatchGetRequest"/> → <see cref="TxnReadResponse"/>.</summary>
    public const string BatchGet = "txn.batch_get";

    /// <summary><see cref="TxnScanRequest"/> → <see cref="TxnReadResponse"/>.</summary>
    public const string Scan = "txn.scan";

    /// <summary><see cref="PrewriteRequest"/> → <see cref="TxnWriteResponse"/>.</summary>
    public const string Prewrite = "txn.prewrite";

    /// <summary><see cref="CommitRequest"/> → <see cref="TxnWriteResponse"/>.</summary>
    public const string Commit = "txn.commit";

    /// <summary><see cref="RollbackRequest"/> → <see cref="TxnWriteResponse"/>.</summary>
    public const string Rollback = "txn.rollback";

    /// <summary><see cref="CheckTxnStatusRequest"/> → <see cref="CheckTxnStatusResponse"/>.</summary>
    public const string CheckTxnStatus = "txn.check_status";

    /// <summary><see cref="ResolveLockRequest"/> → <see cref="ResolveLockResponse"/>.</summary>
    public const string ResolveLock = "txn.resolve_lock";

    /// <summary><see cref="ScanLockRequest"/> → <see cref="ScanLockResponse"/>.</summary>
    public const string ScanLock = "txn.scan_lock";

    /// <summary><see cref="GcRequest"/> → <see cref="GcResponse"/>.</summary>
    public const string Gc = "txn.gc";
}
