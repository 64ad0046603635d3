namespace MultiRaft.Storage.Kv;

/// <summary>
/// A region's epoch: <see cref="ConfVersion"/> grows on every membership change, <see cref="Version"/> on every
/// split or merge. Requests carrying an older epoch are rejected by the store.
/// </summary>
public readonly record struct RegionEpoch(ulong ConfVersion, ulong Version);
