namespace MultiRaft.Client;

public sealed record RawKvClientOptions
{
    /// <summary>The whole call, retries included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>One RPC to one store.</summary>
    public TimeSpan RpcTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan BackoffMin { get; init; } = TimeSpan.FromMilliseconds(10);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Must match the stores' frame limit, so a value at the size limit fits in one request.</summary>
    public int MaxFrameBytes { get; init; } = 64 * 1024 * 1024;
}
