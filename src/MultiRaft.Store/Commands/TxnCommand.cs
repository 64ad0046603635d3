using MessagePack;
using MultiRaft.Protocol.Txn;

namespace MultiRaft.Store.Commands;

/// <summary>
/// A Percolator command carried by a Raft entry: exactly one field is set. Transactional checks (conflicts,
/// locks, expiry) run when the entry is applied, so every replica reaches the same verdict from the same
/// state; the requests travel as the client sent them (their region context is checked by the entry's epoch).
/// </summary>
[MessagePackObject]
public sealed record TxnCommand(
    [property: Key(0)] PrewriteRequest? Prewrite = null,
    [property: Key(1)] CommitRequest? Commit = null,
    [property: Key(2)] RollbackRequest? Rollback = null,
    [property: Key(3)] CheckTxnStatusRequest? CheckStatus = null,
    [property: Key(4)] ResolveLockRequest? ResolveLock = null,
    [property: Key(5)] GcStep? Gc = null);

/// <summary>One step of a region's MVCC garbage collection: at most <see cref="MaxKeys"/> keys from
/// <see cref="StartKey"/> (empty: the region's start) to the region's end, so one entry stays small.</summary>
[MessagePackObject]
public sealed record GcStep(
    [property: Key(0)] byte[] StartKey,
    [property: Key(1)] ulong SafePoint,
    [property: Key(2)] int MaxKeys);
