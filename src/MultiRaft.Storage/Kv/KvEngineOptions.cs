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

    /// <summary>
    /// Memtable size of each column family (RocksDB's write_buffer_size). Every replica inserts every write into
    /// a skiplist whose inserts are bound by cache misses, so their cost grows with the memtable: on this
    /// project's 2-core reference machine, `bench --local 3 --workload write` ran about 15% faster with 16 MiB
    /// than with RocksDB's 64 MiB, and 4-8 MiB bought no more for writes while point reads, which then go to
    /// SST files more often, lost up to a third.
    /// </summary>
    public long MemtableBytes { get; init; } = 16L << 20;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MemtableBytes, 64L << 10, nameof(MemtableBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MemtableBytes, 1L << 30, nameof(MemtableBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKeyBytes, 1, nameof(MaxKeyBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxValueBytes, 0, nameof(MaxValueBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxKeyBytes, 1 << 20, nameof(MaxKeyBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxValueBytes, 256 << 20, nameof(MaxValueBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(SnapshotChunkBytes, 1024, nameof(SnapshotChunkBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SnapshotChunkBytes, MaxSnapshotChunkBytes, nameof(SnapshotChunkBytes));
    }
}
