namespace MultiRaft.Transport.Connections;

/// <summary>Settings shared by the listening and the sending side of the Raft transport.</summary>
public sealed record TransportOptions
{
    /// <summary>A connecting side that does not know the cluster yet (a client asking PD) uses this id.</summary>
    public const ulong DiscoverCluster = 0;

    public required ulong ClusterId { get; init; }

    /// <summary>Whether a listener accepts connections that use <see cref="DiscoverCluster"/> (PD does: it is
    /// where clients and new stores learn the cluster id; stores do not).</summary>
    public bool AcceptClusterDiscovery { get; init; }

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
