namespace MultiRaft.Storage.Kv;

/// <summary>Reads and decodes a region's meta records; undecodable stored bytes are reported as corruption.</summary>
internal static class MetaReader
{
    public static RegionLocalState? RegionState(RocksAdapter db, ulong regionId, RocksAdapter.View? view = null)
    {
        var bytes = db.Get(KvColumn.Meta, KvKeys.RegionStateKey(regionId), view);
        return bytes is null ? null : DecodeRegionState(bytes, regionId);
    }

    public static ApplyState? ApplyState(RocksAdapter db, ulong regionId, RocksAdapter.View? view = null)
    {
        var bytes = db.Get(KvColumn.Meta, KvKeys.ApplyStateKey(regionId), view);
        if (bytes is null)
        {
            return null;
        }
        try
        {
            return MetaCodec.DecodeApplyState(bytes);
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(regionId, e);
        }
    }

    /// <summary>Every region state in region id order, for a store that loads its regions on start.</summary>
    public static List<RegionLocalState> AllRegionStates(RocksAdapter db)
    {
        var states = new List<RegionLocalState>();
        var (start, end) = KvKeys.RegionStateKeys();
        using var cursor = db.Iterate(KvColumn.Meta, start, end);
        for (; cursor.Valid; cursor.Next())
        {
            states.Add(DecodeRegionState(cursor.Value, KvKeys.RegionIdOf(cursor.Key)));
        }
        return states;
    }

    private static RegionLocalState DecodeRegionState(ReadOnlySpan<byte> bytes, ulong regionId)
    {
        RegionLocalState state;
        try
        {
            state = MetaCodec.DecodeRegionState(bytes);
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(regionId, e);
        }
        return state.RegionId == regionId
            ? state
            : throw new StorageException($"the local state stored for region {regionId} names region {state.RegionId}");
    }

    private static StorageException Corrupt(ulong regionId, InvalidDataException e) =>
        new($"meta record of region {regionId} is corrupt: {e.Message}", e);
}
