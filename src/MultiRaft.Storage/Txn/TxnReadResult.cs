using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Txn;

/// <summary>
/// A snapshot read: the visible pairs, and the locks that hid keys from it (resolve them, then read again). With an
/// <see cref="Error"/> both lists are empty.
/// </summary>
public sealed record TxnReadResult(List<KvPair> Pairs, List<TxnLock> Locks, TxnKeyError? Error = null);
