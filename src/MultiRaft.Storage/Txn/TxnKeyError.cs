namespace MultiRaft.Storage.Txn;

public enum TxnErrorKind : byte
{
    /// <summary>Another transaction holds a lock on the key (<see cref="TxnKeyError.Lock"/>).</summary>
    Locked = 1,

    /// <summary>Another transaction committed the key at or after this one's start ts.</summary>
    WriteConflict = 2,

    /// <summary>This transaction was rolled back on the key, so it can no longer prewrite or commit it.</summary>
    AlreadyRolledBack = 3,

    /// <summary>A commit found neither this transaction's lock nor a record of its outcome.</summary>
    LockNotFound = 4,

    /// <summary>A rollback found the transaction committed (at <see cref="TxnKeyError.ConflictCommitTs"/>).</summary>
    AlreadyCommitted = 5,

    /// <summary>A read below the GC safe point: the versions it needs may be gone.</summary>
    TooOld = 6,
}

/// <summary>
/// Why a transactional command failed on <see cref="Key"/>. For a write conflict, the other transaction's start and
/// commit ts; for Locked, the lock to resolve.
/// </summary>
public sealed record TxnKeyError(
    TxnErrorKind Kind, byte[] Key, string Message, TxnLock? Lock = null, ulong ConflictStartTs = 0, ulong ConflictCommitTs = 0);
