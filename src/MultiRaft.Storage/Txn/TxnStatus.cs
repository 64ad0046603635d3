namespace MultiRaft.Storage.Txn;

public enum TxnStatusKind : byte
{
    Locked = 1,
    Committed = 2,
    RolledBack = 3,
}

/// <summary>
/// A transaction's fate as its primary key tells it: still Locked (with the lock), Committed (at
/// <see cref="CommitTs"/>) or RolledBack.
/// </summary>
public sealed record TxnStatus(TxnStatusKind Kind, ulong CommitTs = 0, TxnLock? Lock = null);
