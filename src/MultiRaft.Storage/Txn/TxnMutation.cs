namespace MultiRaft.Storage.Txn;

public enum MutationKind : byte
{
    Put = 1,
    Delete = 2,

    /// <summary>Locks the key without changing it (a read the transaction depends on); does not block readers.</summary>
    Lock = 3,
}

/// <summary>One key a transaction prewrites. <see cref="Value"/> is required for Put and must be null otherwise.</summary>
public sealed record TxnMutation(MutationKind Kind, byte[] Key, byte[]? Value = null);
