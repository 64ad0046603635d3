namespace MultiRaft.Transport.Snapshots;

/// <summary>Settings of snapshot streaming, for the sending and the receiving side.</summary>
public sealed record SnapshotOptions
{
    /// <summary>Data bytes per chunk (one frame each); must fit the frame limit with a little room to spare.</summary>
    public int ChunkBytes { get; init; } = 1024 * 1024;

    /// <summary>Snapshots one <see cref="SnapshotSender"/> streams at once; further callers wait for a slot.</summary>
    public int MaxConcurrentSends { get; init; } = 4;

    /// <summary>Snapshots one <see cref="SnapshotService"/> receives at once; a further one is refused.</summary>
    public int MaxConcurrentReceives { get; init; } = 4;

    /// <summary>How long one snapshot may take, from connecting to the receiver's answer (waiting for a
    /// send slot does not count).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
}
