namespace MultiRaft.Storage.Kv;

/// <summary>
/// What a store keeps about one of its regions in the meta column family: the key range [StartKey, EndKey)
/// (an empty end means +infinity, an empty start means -infinity), the epoch, the peers, and whether the region
/// was destroyed on this store (a tombstone stays so that stale messages for the region are recognised).
/// </summary>
public sealed record RegionLocalState
{
    public required ulong RegionId { get; init; }
    public byte[] StartKey { get; init; } = [];
    public byte[] EndKey { get; init; } = [];
    public RegionEpoch Epoch { get; init; }
    public IReadOnlyList<RegionPeer> Peers { get; init; } = [];
    public bool Tombstone { get; init; }

    /// <summary>Whether <paramref name="key"/> lies in [StartKey, EndKey).</summary>
    public bool Contains(ReadOnlySpan<byte> key) =>
        key.SequenceCompareTo(StartKey) >= 0 && (EndKey.Length == 0 || key.SequenceCompareTo(EndKey) < 0);

    /// <summary>Whether the two ranges share a key.</summary>
    public bool Overlaps(RegionLocalState other) =>
        (EndKey.Length == 0 || EndKey.AsSpan().SequenceCompareTo(other.StartKey) > 0)
        && (other.EndKey.Length == 0 || other.EndKey.AsSpan().SequenceCompareTo(StartKey) > 0);

    public bool Equals(RegionLocalState? other) =>
        other is not null
        && RegionId == other.RegionId
        && Epoch == other.Epoch
        && Tombstone == other.Tombstone
        && StartKey.AsSpan().SequenceEqual(other.StartKey)
        && EndKey.AsSpan().SequenceEqual(other.EndKey)
        && Peers.SequenceEqual(other.Peers);

    public override int GetHashCode() => HashCode.Combine(RegionId, Epoch, Tombstone, Peers.Count);
}
