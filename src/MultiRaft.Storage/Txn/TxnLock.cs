namespace MultiRaft.Storage.Txn;

/// <summary>
/// The lock a prewrite leaves on <see cref="Key"/> until transaction <see cref="StartTs"/> commits or rolls back.
/// Every lock names the transaction's <see cref="Primary"/> key, whose status decides the whole transaction; after
/// <see cref="TtlMs"/> milliseconds (of physical time since the start ts) others may roll the transaction back.
/// </summary>
public sealed record TxnLock(byte[] Key, byte[] Primary, ulong StartTs, ulong TtlMs, MutationKind Kind)
{
    /// <summary>
    /// The value of a Put short enough to travel inside its lock and write records
    /// (<see cref="TxnRecordCodec.MaxShortValueBytes"/>); null for a longer one, which sits in the data column
    /// family at the start ts. Storage-internal: callers that meet a lock need only whose it is.
    /// </summary>
    internal byte[]? ShortValue { get; init; }

    /// <summary>Whether the lock's value sits in the data column family (a Put without a short value).</summary>
    internal bool HasDataValue => Kind == MutationKind.Put && ShortValue is null;
}
