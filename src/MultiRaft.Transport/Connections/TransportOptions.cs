namespace MultiRaft.Transport.Connections;

/// <summary>Settings shared by the listening and the sending side of the Raft transport.</summary>
public sealed record TransportOptions
{
    public required ulong ClusterId { get; init; }

    public required ulong StoreId { get; init; }

    /// <summary>Largest frame payload accepted or sent.</summary>
    public int MaxFrameBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Raft messages waiting per destination; past it new ones are dropped (Raft tolerates loss).</summary>
    public int SendQueueCapacity { get; init; } = 8192;

    /// <summary>Messages written into one frame at most (TiKV's BatchRaftMessage shape).</summary>
    public int MaxMessagesPerFrame { get; init; } = 256;

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ReconnectBackoffMin { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan ReconnectBackoffMax { get; init; } = TimeSpan.FromSeconds(2);
}
