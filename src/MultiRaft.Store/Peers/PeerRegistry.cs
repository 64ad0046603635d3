using System.Collections.Concurrent;

namespace MultiRaft.Store.Peers;

/// <summary>The peers this store hosts, by region id.</summary>
internal sealed class PeerRegistry
{
    private readonly ConcurrentDictionary<ulong, Peer> _peers = new();

    public int Count => _peers.Count;

    public IEnumerable<Peer> All => _peers.Values;

    public Peer? Find(ulong regionId) => _peers.TryGetValue(regionId, out var peer) && !peer.IsDestroyed ? peer : null;

    /// <summary>Whether a peer of the region is here, destroyed or not (one being destroyed stays until its data is gone).</summary>
    public bool Knows(ulong regionId) => _peers.ContainsKey(regionId);

    public bool TryAdd(Peer peer) => _peers.TryAdd(peer.RegionId, peer);

    public void Remove(ulong regionId) => _peers.TryRemove(regionId, out _);
}
