namespace MultiRaft.Storage.Txn;

/// <summary>The <see cref="TxnKeyError"/>s the commands return, each with a message that names the timestamps.</summary>
internal static class TxnErrors
{
    public static TxnKeyError Locked(byte[] key, TxnLock txnLock) =>
        new(TxnErrorKind.Locked, key, $"key is locked by transaction {txnLock.StartTs}", Lock: txnLock);

    public static TxnKeyError WriteConflict(byte[] key, ulong startTs, TxnWrite conflict) =>
        new(TxnErrorKind.WriteConflict, key,
            $"transaction {conflict.StartTs} committed the key at {conflict.CommitTs}, after start ts {startTs}",
            ConflictStartTs: conflict.StartTs, ConflictCommitTs: conflict.CommitTs);

    public static TxnKeyError AlreadyRolledBack(byte[] key, ulong startTs) =>
        new(TxnErrorKind.AlreadyRolledBack, key, $"transaction {startTs} was rolled back on the key");

    public static TxnKeyError LockNotFound(byte[] key, ulong startTs) =>
        new(TxnErrorKind.LockNotFound, key, $"transaction {startTs} holds no lock on the key and has no outcome there");

    public static TxnKeyError AlreadyCommitted(byte[] key, ulong startTs, ulong commitTs) =>
        new(TxnErrorKind.AlreadyCommitted, key, $"transaction {startTs} committed the key at {commitTs}", ConflictCommitTs: commitTs);

    public static TxnKeyError TooOld(byte[] key, ulong readTs, ulong safePoint) =>
        new(TxnErrorKind.TooOld, key, $"read ts {readTs} is below the GC safe point {safePoint}");
}
