namespace MultiRaft.Client;

public sealed record RawKvClientOptions
{
    /// <summary>The whole call, retries included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>One RPC to one store.</summary>
    public TimeSpan RpcTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan BackoffMin { get; init; } = TimeSpan.FromMilliseconds(10);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>RPC connections kept to each store, shared by all callers.</summary>
    public int ConnectionsPerStore { get; init; } = 2;

    /// <summary>Must match the stores' frame limit, so a value at the size limit fits in one request.</summary>
    public int MaxFrameBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>The longest key the stores accept (their <c>MaxKeyBytes</c>); longer keys are refused here,
    /// before anything is sent.</summary>
    public int MaxKeyBytes { get; init; } = 8 * 1024;

    /// <summary>The longest value the stores accept (their <c>MaxValueBytes</c>).</summary>
    public int MaxValueBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Keys per BatchGet / BatchPut request a store accepts (its <c>MaxBatchKeys</c>); larger client
    /// batches are cut into requests of at most this many keys.</summary>
    public int MaxBatchKeys { get; init; } = 10_000;

    /// <summary>Bytes of keys and values per request a store accepts in one write (its <c>MaxCommandBytes</c>);
    /// larger client batches are cut into requests of at most this many bytes.</summary>
    public int MaxBatchBytes { get; init; } = 12 * 1024 * 1024;

    /// <summary>Requests of one batch call in flight to one store at a time.</summary>
    public int MaxBatchRequestsPerStore { get; init; } = 8;

    /// <summary>Single-key Get and Put requests to one region in flight at a time; past this, further ones wait
    /// and go out together as one BatchGet / BatchPut when an answer comes back (0: every call is its own
    /// request). Under load this shares each request's RPC, Raft entry and apply among many calls.</summary>
    public int CoalesceAfterInflight { get; init; } = 4;

    /// <summary>Calls carried by one coalesced request at most.</summary>
    public int MaxCoalescedCalls { get; init; } = 256;
}
