namespace MultiRaft.Storage.Txn;

/// <summary>
/// What a write record says happened at its commit timestamp. Put, Delete and Lock share their values with
/// <see cref="MutationKind"/>: a committed lock becomes a record of its own kind.
/// </summary>
internal enum TxnWriteKind : byte
{
    Put = MutationKind.Put,
    Delete = MutationKind.Delete,
    Lock = MutationKind.Lock,
    Rollback = 4,
}

/// <summary>
/// One write record: transaction <see cref="StartTs"/> committed (or, for Rollback, was rolled back) at
/// <see cref="CommitTs"/>. A rollback record sits at its own start timestamp. A Put's <see cref="ShortValue"/>
/// is its value when short (see <see cref="TxnLock.ShortValue"/>); otherwise the value sits in the data column
/// family at the start ts.
/// </summary>
internal readonly record struct TxnWrite(ulong CommitTs, TxnWriteKind Kind, ulong StartTs, byte[]? ShortValue = null)
{
    /// <summary>Whether the record decides the key's value at its timestamp (Lock and Rollback records do not).</summary>
    public bool IsDataChange => Kind is TxnWriteKind.Put or TxnWriteKind.Delete;

    /// <summary>Whether the record's value sits in the data column family (a Put without a short value).</summary>
    public bool HasDataValue => Kind == TxnWriteKind.Put && ShortValue is null;
}
