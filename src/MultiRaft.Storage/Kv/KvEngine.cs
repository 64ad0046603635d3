using MultiRaft.Storage.Txn;

namespace MultiRaft.Storage.Kv;

/// <summary>
/// A store's state machine storage: one RocksDB directory with the <c>data</c> column family (user keys, ordered:
/// raw values and transactional values), Percolator's <c>lock</c> and <c>write</c> column families, and the
/// <c>meta</c> column family (each region's local state and apply state, the GC safe point); key layout in
/// <see cref="KvKeys"/>. Transactions read through <see cref="Txn.MvccReader"/> and write through
/// <see cref="Txn.MvccActions"/>.
/// Invariant: a region's applied index never runs ahead of the data it covers. The apply path writes both through
/// one <see cref="KvWriteBatch"/>, which RocksDB applies atomically, and a snapshot import replaces data and
/// apply state in one batch as well.
/// Thread safety: reads, scans, writes and snapshot exports may run concurrently; dispose only when no call
/// is in flight.
/// </summary>
public sealed class KvEngine : IDisposable
{
    private readonly RocksAdapter _db;
    private readonly GcSafePointCache _gcSafePoint;

    private KvEngine(RocksAdapter db, string directory, KvEngineOptions options)
    {
        _db = db;
        _gcSafePoint = GcSafePointCache.Load(db);
        Directory = directory;
        Options = options;
    }

    public string Directory { get; }

    public KvEngineOptions Options { get; }

    /// <summary>
    /// The store-wide GC safe point: the largest one any GC or imported snapshot brought here. Versions at or below
    /// it may have been collected, so transactional reads below it fail with TooOld. It never decreases.
    /// </summary>
    public ulong GcSafePoint => _gcSafePoint.Current;

    internal RocksAdapter Db => _db;

    /// <summary>Opens the engine in <paramref name="directory"/>, creating the directory and column families if missing.</summary>
    /// <exception cref="StorageException">RocksDB cannot open the directory (locked by another process, corrupt, ...).</exception>
    public static KvEngine Open(string directory, KvEngineOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new KvEngineOptions();
        options.Validate();
        return new KvEngine(RocksAdapter.Open(directory, options.MemtableBytes), directory, options);
    }

    public KvWriteBatch NewWriteBatch() => new(_db.NewBatch(), Options);

    /// <summary>
    /// Applies the batch atomically. With <paramref name="sync"/> the write-ahead log is fsynced before returning,
    /// so the batch survives a machine crash; without it, it survives a process crash.
    /// </summary>
    public void Write(KvWriteBatch batch, bool sync)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // Before the write: a reader must never see collected versions under the old safe point.
        _gcSafePoint.Raise(batch.StagedGcSafePoint);
        _db.Write(batch.Native, sync);
    }

    /// <summary>The value of a user key, or null.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        KvArguments.CheckKey(key, Options, nameof(key));
        Span<byte> rawKey = key.Length < 256 ? stackalloc byte[key.Length + 1] : new byte[key.Length + 1];
        KvKeys.WriteRawKey(key, rawKey);
        return _db.Get(KvColumn.Data, rawKey);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> pairs of [start, end) in ascending key order (empty start = -infinity,
    /// empty end = +infinity). To continue, scan again from the last key returned plus a zero byte.
    /// </summary>
    public List<KvPair> Scan(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, int limit)
    {
        KvArguments.CheckRange(start, end, Options, nameof(start));
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var pairs = new List<KvPair>(Math.Min(limit, 1024));
        using var cursor = _db.Iterate(KvColumn.Data, KvKeys.RawKey(start), KvKeys.RawRangeEnd(end));
        for (; pairs.Count < limit && cursor.Valid; cursor.Next())
        {
            pairs.Add(new KvPair(KvKeys.UserKey(cursor.Key).ToArray(), cursor.Value.ToArray()));
        }
        return pairs;
    }

    /// <summary>Deletes every raw user key in [start, end) with one range tombstone (transactional data stays).</summary>
    public void DeleteRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, bool sync)
    {
        using var batch = NewWriteBatch();
        batch.DeleteRange(start, end);
        Write(batch, sync);
    }

    /// <exception cref="StorageException">The stored record is corrupt.</exception>
    public RegionLocalState? GetRegionState(ulong regionId) => MetaReader.RegionState(_db, regionId);

    /// <exception cref="StorageException">The stored record is corrupt.</exception>
    public ApplyState? GetApplyState(ulong regionId) => MetaReader.ApplyState(_db, regionId);

    /// <summary>Every region's local state (tombstones included) in region id order.</summary>
    /// <exception cref="StorageException">A stored record is corrupt.</exception>
    public List<RegionLocalState> LoadRegionStates() => MetaReader.AllRegionStates(_db);

    /// <summary>
    /// Estimated bytes and keys of [start, end) over every key space (<see cref="ApproximateStats"/>): good for split
    /// decisions, not for exact accounting.
    /// </summary>
    public RangeStats GetApproximateStats(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        KvArguments.CheckRange(start, end, Options, nameof(start));
        return ApproximateStats.Of(_db, start, end);
    }

    /// <summary>
    /// A key that splits [start, end) into two parts of about equal bytes, or null when the range holds fewer
    /// than two keys. The key lies strictly inside the range and both parts are non-empty: [start, key) and
    /// [key, end). It reads every key of the range once — raw and transactional, all versions of a transactional
    /// key counting as one key (<see cref="MiddleKey"/>) — holding ~128 in memory.
    /// </summary>
    public byte[]? GetMiddleKey(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        KvArguments.CheckRange(start, end, Options, nameof(start));
        return MiddleKey.Find(_db, start, end);
    }

    /// <summary>
    /// Writes a consistent snapshot of one region — its local state, apply state, the GC safe point and every key
    /// of its range in every key space —
    /// to <paramref name="destination"/> in checksummed chunks (<see cref="RegionSnapshotFormat"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The region has no local or apply state here, or is a tombstone.</exception>
    public RegionSnapshotSummary ExportSnapshot(ulong regionId, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return RegionSnapshotWriter.Export(_db, regionId, _gcSafePoint, destination, Options.SnapshotChunkBytes);
    }

    /// <summary>
    /// Replaces the region's range (in every key space), local state and apply state with the snapshot read from
    /// <paramref name="source"/>, and raises the GC safe point to the sender's. Every checksum is verified before
    /// anything is written; then the range is cleared and the snapshot written in one atomic batch. Deciding whether
    /// the snapshot is newer than what the store holds is the caller's job.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream is corrupt, truncated or malformed; nothing was changed.</exception>
    public RegionSnapshotSummary ImportSnapshot(Stream source, bool sync)
    {
        ArgumentNullException.ThrowIfNull(source);
        return RegionSnapshotReader.Import(this, source, sync);
    }

    /// <summary>The region a snapshot stream (see <see cref="ImportSnapshot"/>) holds, read from its header
    /// without importing anything: a store checks it against the ranges of its other regions first.</summary>
    /// <exception cref="InvalidDataException">The stream does not start with a valid header.</exception>
    public RegionLocalState ReadSnapshotRegion(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return RegionSnapshotReader.ReadRegion(source, Options);
    }

    public void Dispose() => _db.Dispose();
}
