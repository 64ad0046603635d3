namespace MultiRaft.Storage.Kv;

/// <summary>
/// Data changes and region bookkeeping staged for one atomic <see cref="KvEngine.Write"/>. Operations apply in
/// the order they were added (a put after a delete-range of its key survives). The apply path puts the data of a
/// run of committed entries and the region's new <see cref="ApplyState"/> into the same batch: RocksDB writes a
/// batch all or nothing, so the stored applied index can never run ahead of the data it covers.
/// Every method checks its input first: a rejected call leaves the batch as it was. Not thread-safe; reusable
/// after <see cref="Clear"/>.
/// </summary>
public sealed partial class KvWriteBatch : IDisposable
{
    private readonly KvEngineOptions _options;
    private byte[] _keyBuffer = new byte[128];

    internal KvWriteBatch(RocksAdapter.Batch batch, KvEngineOptions options)
    {
        Native = batch;
        _options = options;
    }

    /// <summary>Operations staged so far (puts, deletes, range deletes and meta records).</summary>
    public int Count => Native.Count;

    internal RocksAdapter.Batch Native { get; }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        KvArguments.CheckKey(key, _options, nameof(key));
        KvArguments.CheckValue(value, _options, nameof(value));
        Native.Put(KvColumn.Data, RawKey(key), value);
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        KvArguments.CheckKey(key, _options, nameof(key));
        Native.Delete(KvColumn.Data, RawKey(key));
    }

    /// <summary>
    /// Deletes every raw user key in [start, end); an empty start is -infinity, an empty end +infinity. Transactional
    /// data is left alone (see <see cref="DeleteRegionData"/>).
    /// </summary>
    public void DeleteRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        KvArguments.CheckRange(start, end, _options, nameof(start));
        Native.DeleteRange(KvColumn.Data, KvKeys.RawKey(start), KvKeys.RawRangeEnd(end));
    }

    /// <summary>
    /// Deletes everything stored for the user range [start, end) in every key space — raw data, transactional
    /// values, locks and write records — as a peer that leaves the store must.
    /// </summary>
    public void DeleteRegionData(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        KvArguments.CheckRange(start, end, _options, nameof(start));
        foreach (var (column, rangeStart, rangeEnd) in KvKeys.RegionRanges(start, end))
        {
            Native.DeleteRange(column, rangeStart, rangeEnd);
        }
    }

    /// <summary>Records how far <paramref name="regionId"/> has applied, atomically with the data in this batch.</summary>
    public void SetApplyState(ulong regionId, ApplyState state) =>
        Native.Put(KvColumn.Meta, KvKeys.ApplyStateKey(regionId), MetaCodec.Encode(state));

    public void SetRegionState(RegionLocalState state)
    {
        KvArguments.CheckRegionState(state, _options, nameof(state));
        Native.Put(KvColumn.Meta, KvKeys.RegionStateKey(state.RegionId), MetaCodec.Encode(state));
    }

    public void Clear()
    {
        Native.Clear();
        StagedGcSafePoint = 0;
    }

    public void Dispose() => Native.Dispose();

    private ReadOnlySpan<byte> RawKey(ReadOnlySpan<byte> key)
    {
        var buffer = KeyBuffer(key.Length + 1);
        return buffer[..KvKeys.WriteRawKey(key, buffer)];
    }

    // A reused buffer for encoded keys: the apply path stages many keys per batch and RocksDB copies each one.
    private Span<byte> KeyBuffer(int length)
    {
        if (_keyBuffer.Length < length)
        {
            _keyBuffer = new byte[Math.Max(length, _keyBuffer.Length * 2)];
        }
        return _keyBuffer;
    }
}
