using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

/// <summary>
/// One region's view of the shared log as the Raft core's <see cref="IRaftStorage"/>, so a
/// <see cref="RaftNode"/> runs on the engine unchanged. The configuration it starts from is the one given
/// (the store keeps the applied configuration with the region state in the KV engine, because compaction
/// may drop the conf-change entries after the last snapshot); snapshot data comes from
/// <paramref name="snapshotData"/> (the KV engine exports it), or is empty.
/// </summary>
public sealed class RegionRaftStorage(RaftLogEngine engine, ulong region, ConfState confState, Func<SnapshotMetadata, ReadOnlyMemory<byte>>? snapshotData = null) : IRaftStorage
{
    public ulong Region { get; } = region;

    public ulong FirstIndex => engine.FirstIndex(Region);

    public ulong LastIndex => engine.LastIndex(Region);

    public RaftInitialState InitialState() => new(engine.HardState(Region), confState);

    public LogRead Entries(ulong lo, ulong hi, long maxBytes, List<Entry> into) => engine.Entries(Region, lo, hi, maxBytes, into);

    public LogRead Term(ulong index, out ulong term) => engine.Term(Region, index, out term);

    public Snapshot? Snapshot()
    {
        var meta = engine.SnapshotMetadata(Region);
        return new Snapshot(meta, snapshotData?.Invoke(meta) ?? ReadOnlyMemory<byte>.Empty);
    }
}
