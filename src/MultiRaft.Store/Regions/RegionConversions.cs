using MultiRaft.Protocol.Metadata;
using MultiRaft.Raft;
using MultiRaft.Storage.Kv;

namespace MultiRaft.Store.Regions;

/// <summary>Between the KV engine's region record and the wire form, and from a region's peers to the Raft
/// configuration they make.</summary>
public static class RegionConversions
{
    public static RegionInfo ToInfo(this RegionLocalState state)
    {
        var peers = new PeerInfo[state.Peers.Count];
        for (var i = 0; i < peers.Length; i++)
        {
            var peer = state.Peers[i];
            peers[i] = new PeerInfo(peer.Id, peer.StoreId, peer.Role == PeerRole.Learner);
        }
        return new RegionInfo(state.RegionId, state.StartKey, state.EndKey, state.Epoch.ToInfo(), peers);
    }

    public static RegionLocalState ToLocalState(this RegionInfo info)
    {
        var peers = new RegionPeer[info.Peers.Length];
        for (var i = 0; i < peers.Length; i++)
        {
            var peer = info.Peers[i];
            peers[i] = new RegionPeer(peer.Id, peer.StoreId, peer.IsLearner ? PeerRole.Learner : PeerRole.Voter);
        }
        return new RegionLocalState
        {
            RegionId = info.Id,
            StartKey = info.StartKey,
            EndKey = info.EndKey,
            Epoch = new RegionEpoch(info.Epoch.ConfVersion, info.Epoch.Version),
            Peers = peers,
        };
    }

    public static EpochInfo ToInfo(this RegionEpoch epoch) => new(epoch.ConfVersion, epoch.Version);

    public static ConfState ToConfState(this RegionLocalState state)
    {
        var voters = new List<ulong>();
        var learners = new List<ulong>();
        foreach (var peer in state.Peers)
        {
            (peer.Role == PeerRole.Learner ? learners : voters).Add(peer.Id);
        }
        return new ConfState { Voters = [.. voters], Learners = [.. learners] };
    }

    public static RegionPeer? PeerById(this RegionLocalState state, ulong peerId)
    {
        foreach (var peer in state.Peers)
        {
            if (peer.Id == peerId)
            {
                return peer;
            }
        }
        return null;
    }

    public static RegionPeer? PeerOnStore(this RegionLocalState state, ulong storeId)
    {
        foreach (var peer in state.Peers)
        {
            if (peer.StoreId == storeId)
            {
                return peer;
            }
        }
        return null;
    }
}
