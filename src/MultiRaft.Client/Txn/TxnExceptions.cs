namespace MultiRaft.Client.Txn;

/// <summary>
/// The transaction did not commit and changed nothing: another transaction wrote one of its keys after it
/// started, holds a lock on one, or rolled it back (its locks outlived their TTL); or its start timestamp fell
/// below the GC safe point. Retrying the whole transaction (a new <see cref="TxnClient.BeginAsync"/>) is safe.
/// </summary>
public sealed class TxnConflictException : Exception
{
    public TxnConflictException(string message) : base(message) { }

    public TxnConflictException(string message, Exception inner) : base(message, inner) { }

    public TxnConflictException() { }
}
