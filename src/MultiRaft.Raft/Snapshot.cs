namespace MultiRaft.Raft;

/// <summary>Where a snapshot sits in the log and the membership as of that index.</summary>
public sealed record SnapshotMetadata(ulong Index, ulong Term, ConfState ConfState)
{
    public static readonly SnapshotMetadata Empty = new(0, 0, ConfState.Empty);
}

/// <summary>The state machine as of <see cref="SnapshotMetadata.Index"/>; the data is opaque to Raft.</summary>
public sealed record Snapshot(SnapshotMetadata Metadata, ReadOnlyMemory<byte> Data)
{
    public static readonly Snapshot Empty = new(SnapshotMetadata.Empty, ReadOnlyMemory<byte>.Empty);

    public bool IsEmpty => Metadata.Index == 0;
}
