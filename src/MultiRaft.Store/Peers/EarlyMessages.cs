using System.Collections.Concurrent;
using MultiRaft.Protocol;

namespace MultiRaft.Store.Peers;

/// <summary>
/// Raft messages for a region this store does not host yet. After a split the new regions' leader campaigns
/// at once, often before a follower store has applied the split itself; its vote requests wait here for a
/// few seconds and reach the new peer when the split creates it, instead of being lost and costing the
/// region an election timeout. Bounded: past the limit, or once stale, messages are dropped (Raft retries).
/// </summary>
internal sealed class EarlyMessages(int maxRegions, TimeSpan keepFor)
{
    private readonly ConcurrentDictionary<ulong, (DateTime Arrived, ConcurrentQueue<RaftEnvelope> Messages)> _waiting = new();

    public void Hold(RaftEnvelope envelope)
    {
        var now = DateTime.UtcNow;
        if (!_waiting.ContainsKey(envelope.RegionId) && _waiting.Count >= maxRegions)
        {
            DropStale(now);
            if (_waiting.Count >= maxRegions)
            {
                return;
            }
        }
        var entry = _waiting.GetOrAdd(envelope.RegionId, _ => (now, new ConcurrentQueue<RaftEnvelope>()));
        if (entry.Messages.Count < 64)
        {
            entry.Messages.Enqueue(envelope);
        }
    }

    /// <summary>Hands the new peer what arrived for it in time.</summary>
    public void Deliver(Peer peer)
    {
        if (!_waiting.TryRemove(peer.RegionId, out var entry) || DateTime.UtcNow - entry.Arrived > keepFor)
        {
            return;
        }
        foreach (var envelope in entry.Messages)
        {
            if (envelope.Message.To == peer.PeerId)
            {
                peer.Post(new PeerInput(PeerInputKind.RaftMessage, envelope.Message));
            }
        }
    }

    private void DropStale(DateTime now)
    {
        foreach (var (region, entry) in _waiting)
        {
            if (now - entry.Arrived > keepFor)
            {
                _waiting.TryRemove(region, out _);
            }
        }
    }
}
