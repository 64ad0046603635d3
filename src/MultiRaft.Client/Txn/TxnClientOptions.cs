namespace MultiRaft.Client.Txn;

public sealed record TxnClientOptions
{
    /// <summary>Routing, retries and deadlines, as for the raw client.</summary>
    public RawKvClientOptions Raw { get; init; } = new();

    /// <summary>How long a transaction's locks protect it from resolvers. A transaction whose commit takes
    /// longer may be rolled back by a reader, and then fails with <see cref="TxnConflictException"/>.</summary>
    public TimeSpan LockTtl { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Commit the secondary keys after <see cref="Transaction.CommitAsync"/> returns (the transaction
    /// is committed once its primary is; readers finish what is left). False waits for them.</summary>
    public bool CommitSecondariesInBackground { get; init; } = true;

    /// <summary>How long PD keeps this client's service safe point (GC stays below its oldest running
    /// transaction) without a refresh; it is refreshed at a third of that.</summary>
    public TimeSpan ServiceSafePointTtl { get; init; } = TimeSpan.FromSeconds(60);
}
