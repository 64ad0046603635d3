namespace MultiRaft.Storage.Txn;

/// <summary>
/// The lock a prewrite leaves on <see cref="Key"/> until transaction <see cref="StartTs"/> commits or rolls back.
/// Every lock names the transaction's <see cref="Primary"/> key, whose status decides the whole transaction; after
/// <see cref="TtlMs"/> milliseconds (of physical time since the start ts) others may roll the transaction back.
/// </summary>
public sealed record TxnLock(byte[] Key, byte[] Primary, ulong StartTs, ulong TtlMs, MutationKind Kind);
