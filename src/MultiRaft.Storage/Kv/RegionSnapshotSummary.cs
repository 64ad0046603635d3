namespace MultiRaft.Storage.Kv;

/// <summary>
/// What a region snapshot carried: the region and apply state, the keys and their bytes (keys plus values), and the
/// chunks of the stream (header and end included).
/// </summary>
public sealed record RegionSnapshotSummary(RegionLocalState Region, ApplyState Apply, long Keys, long DataBytes, int Chunks);
