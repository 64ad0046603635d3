namespace MultiRaft.Storage.Kv;

/// <summary>
/// RocksDB's estimate of a key range: bytes on disk and in memtables (after compression, before compaction
/// drops overwritten and deleted entries), and keys. Good for split decisions, not for exact accounting.
/// </summary>
public readonly record struct RangeStats(ulong ApproximateBytes, ulong ApproximateKeys);
