using MessagePack;
using MultiRaft.Protocol.Kv;

namespace MultiRaft.Protocol.Txn;

public enum TxnMutationKind : byte
{
    Put = 1,
    Delete = 2,

    /// <summary>Locks the key without changing it (a read the transaction wants protected from writers).</summary>
    Lock = 3,
}

/// <summary>One key a transaction writes; <see cref="Value"/> only for a put.</summary>
[MessagePackObject]
public sealed record TxnMutation(
    [property: Key(0)] TxnMutationKind Kind,
    [property: Key(1)] byte[] Key,
    [property: Key(2)] byte[]? Value = null);

/// <summary>An open transaction's lock on <see cref="Key"/>. Its fate is decided by the lock on
/// <see cref="Primary"/>; it may be resolved by others once <see cref="TtlMs"/> has passed since
/// <see cref="StartTs"/> (physical part).</summary>
[MessagePackObject]
public sealed record LockInfo(
    [property: Key(0)] byte[] Key,
    [property: Key(1)] byte[] Primary,
    [property: Key(2)] ulong StartTs,
    [property: Key(3)] ulong TtlMs,
    [property: Key(4)] TxnMutationKind Kind);

public enum KeyErrorKind : byte
{
    /// <summary>Another transaction's lock is in the way (<see cref="KeyError.Lock"/>).</summary>
    Locked = 1,

    /// <summary>Another transaction committed the key after this one started.</summary>
    WriteConflict = 2,

    /// <summary>This transaction was rolled back (by itself or by a resolver).</summary>
    AlreadyRolledBack = 3,

    /// <summary>Commit found neither this transaction's lock nor its commit record.</summary>
    LockNotFound = 4,

    /// <summary>Rollback found that this transaction committed the key.</summary>
    AlreadyCommitted = 5,

    /// <summary>The read timestamp is below the GC safe point: the versions it needs may be gone.</summary>
    TooOld = 6,
}

[MessagePackObject]
public sealed record KeyError(
    [property: Key(0)] KeyErrorKind Kind,
    [property: Key(1)] byte[] Key,
    [property: Key(2)] string Message,
    [property: Key(3)] LockInfo? Lock = null,
    [property: Key(4)] ulong ConflictStartTs = 0,
    [property: Key(5)] ulong ConflictCommitTs = 0)
{
    public override string ToString() => $"{Kind}: {Message}";
}

/// <summary>Snapshot read of one key at <see cref="ReadTs"/>.</summary>
[MessagePackObject]
public sealed record TxnGetRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[] Key,
    [property: Key(2)] ulong ReadTs);

[MessagePackObject]
public sealed record TxnBatchGetRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[][] Keys,
    [property: Key(2)] ulong ReadTs);

/// <summary>Snapshot scan of <c>[StartKey, EndKey)</c> (empty end: the region's end) at <see cref="ReadTs"/>.</summary>
[MessagePackObject]
public sealed record TxnScanRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[] StartKey,
    [property: Key(2)] byte[] EndKey,
    [property: Key(3)] int Limit,
    [property: Key(4)] ulong ReadTs);

/// <summary>The values visible at the read timestamp (absent keys left out) and the locks that blocked the
/// read of other keys: the caller resolves them and reads those keys again.</summary>
[MessagePackObject]
public sealed record TxnReadResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] KvEntry[] Pairs,
    [property: Key(2)] LockInfo[] Locks,
    [property: Key(3)] KeyError? KeyError = null);

/// <summary>Locks every mutation's key at <see cref="StartTs"/> and stages its value; all or nothing.</summary>
[MessagePackObject]
public sealed record PrewriteRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] TxnMutation[] Mutations,
    [property: Key(2)] byte[] Primary,
    [property: Key(3)] ulong StartTs,
    [property: Key(4)] ulong TtlMs);

/// <summary>Commits this transaction's locks on <see cref="Keys"/> at <see cref="CommitTs"/>.</summary>
[MessagePackObject]
public sealed record CommitRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[][] Keys,
    [property: Key(2)] ulong StartTs,
    [property: Key(3)] ulong CommitTs);

/// <summary>Rolls back this transaction on <see cref="Keys"/>, and marks them so a late prewrite fails.</summary>
[MessagePackObject]
public sealed record RollbackRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[][] Keys,
    [property: Key(2)] ulong StartTs);

/// <summary>Empty <see cref="Errors"/> and no region error: done, for every key.</summary>
[MessagePackObject]
public sealed record TxnWriteResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] KeyError[] Errors);

/// <summary>Asks the primary key of the transaction that started at <see cref="LockTs"/> for its fate; an
/// expired lock is rolled back on the spot (<see cref="CurrentTs"/> decides expiry).</summary>
[MessagePackObject]
public sealed record CheckTxnStatusRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] byte[] Primary,
    [property: Key(2)] ulong LockTs,
    [property: Key(3)] ulong CurrentTs);

public enum TxnStatusKind : byte
{
    /// <summary>Still running: its primary lock is alive.</summary>
    Locked = 1,
    Committed = 2,
    RolledBack = 3,
}

[MessagePackObject]
public sealed record CheckTxnStatusResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] TxnStatusKind Status,
    [property: Key(2)] ulong CommitTs = 0,
    [property: Key(3)] LockInfo? Lock = null);

/// <summary>Commits (<see cref="CommitTs"/> &gt; 0) or rolls back (0) every lock of the transaction that
/// started at <see cref="StartTs"/> in the region.</summary>
[MessagePackObject]
public sealed record ResolveLockRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] ulong StartTs,
    [property: Key(2)] ulong CommitTs);

[MessagePackObject]
public sealed record ResolveLockResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] int Resolved);

/// <summary>Lists up to <see cref="Limit"/> locks of transactions that started at or before
/// <see cref="MaxTs"/>, from <see cref="StartKey"/> (empty: the region's start) to the region's end. GC
/// resolves these first: a lock below the safe point must not outlive the commit record it depends on.</summary>
[MessagePackObject]
public sealed record ScanLockRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] ulong MaxTs,
    [property: Key(2)] byte[] StartKey,
    [property: Key(3)] int Limit);

[MessagePackObject]
public sealed record ScanLockResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] LockInfo[] Locks);

/// <summary>Drops the versions of the region's keys that no read at or above <see cref="SafePoint"/> can see.</summary>
[MessagePackObject]
public sealed record GcRequest(
    [property: Key(0)] RegionContext Context,
    [property: Key(1)] ulong SafePoint);

[MessagePackObject]
public sealed record GcResponse(
    [property: Key(0)] RegionError? Error,
    [property: Key(1)] int VersionsDeleted);
