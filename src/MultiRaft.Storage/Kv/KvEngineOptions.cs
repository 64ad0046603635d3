namespace MultiRaft.Storage.Kv;

/// <summary>Limits and tuning of a <see cref="KvEngine"/>.</summary>
public sealed record KvEngineOptions
{
    public const int MaxSnapshotChunkBytes = 1 << 20;

    /// <summary>Largest user key accepted (TiKV's default).</summary>
    public int MaxKeyBytes { get; init; } = 8 * 1024;

    /// <summary>Largest value accepted; one Raft entry carries at most this much.</summary>
    public int MaxValueBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// Target payload of one region snapshot chunk, at most <see cref="MaxSnapshotChunkBytes"/>. A single entry
    /// larger than this travels alone in a chunk of its own size.
    /// </summary>
    public int SnapshotChunkBytes { get; init; } = MaxSnapshotChunkBytes;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKeyBytes, 1, nameof(MaxKeyBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxValueBytes, 0, nameof(MaxValueBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxKeyBytes, 1 << 20, nameof(MaxKeyBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxValueBytes, 256 << 20, nameof(MaxValueBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(SnapshotChunkBytes, 1024, nameof(SnapshotChunkBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SnapshotChunkBytes, MaxSnapshotChunkBytes, nameof(SnapshotChunkBytes));
    }
}
