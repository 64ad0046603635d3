using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Regions;

namespace MultiRaft.Store.Apply;

/// <summary>
/// The region after one membership step, or why the step does not fit the region as it stands. Checked when
/// proposing (for a clear answer) and again when applying (every replica decides alike on the applied state).
/// </summary>
internal static class PeerChangePlanner
{
    public static RegionLocalState? Plan(RegionLocalState region, PeerChange change, out RegionError? error)
    {
        error = Check(region, change.Kind, change.Peer.StoreId, change.Peer.Id, change.Demoted?.Id ?? 0);
        if (error is not null)
        {
            return null;
        }
        var peers = new List<RegionPeer>(region.Peers);
        switch (change.Kind)
        {
            case PeerChangeKind.AddLearner:
                peers.Add(new RegionPeer(change.Peer.Id, change.Peer.StoreId, PeerRole.Learner));
                break;
            case PeerChangeKind.PromoteLearner:
                SetRole(peers, change.Peer.Id, PeerRole.Voter);
                break;
            case PeerChangeKind.SwapVoter:
                SetRole(peers, change.Peer.Id, PeerRole.Voter);
                SetRole(peers, change.Demoted!.Value.Id, PeerRole.Learner);
                break;
            default:
                peers.RemoveAll(p => p.Id == change.Peer.Id);
                break;
        }
        return region with { Peers = peers, Epoch = region.Epoch with { ConfVersion = region.Epoch.ConfVersion + 1 } };
    }

    private static void SetRole(List<RegionPeer> peers, ulong id, PeerRole role)
    {
        var i = peers.FindIndex(p => p.Id == id);
        peers[i] = peers[i] with { Role = role };
    }

    public static RegionError? Check(RegionLocalState region, PeerChangeKind kind, ulong storeId, ulong peerId, ulong demotedId = 0)
    {
        var existing = region.PeerById(peerId);
        return kind switch
        {
            PeerChangeKind.SwapVoter when existing is not { Role: PeerRole.Learner } =>
                RegionError.InvalidArgument($"peer {peerId} is not a learner of region {region.RegionId}"),
            PeerChangeKind.SwapVoter when region.PeerById(demotedId) is not { Role: PeerRole.Voter } =>
                RegionError.InvalidArgument($"peer {demotedId} is not a voter of region {region.RegionId}"),
            PeerChangeKind.AddLearner when region.PeerOnStore(storeId) is not null =>
                RegionError.InvalidArgument($"store {storeId} already holds a replica of region {region.RegionId}"),
            PeerChangeKind.AddLearner when existing is not null =>
                RegionError.InvalidArgument($"peer {peerId} already belongs to region {region.RegionId}"),
            PeerChangeKind.PromoteLearner when existing is not { Role: PeerRole.Learner } =>
                RegionError.InvalidArgument($"peer {peerId} is not a learner of region {region.RegionId}"),
            PeerChangeKind.RemovePeer when existing is null =>
                RegionError.InvalidArgument($"peer {peerId} is not in region {region.RegionId}"),
            PeerChangeKind.RemovePeer when existing.Value.Role == PeerRole.Voter && CountVoters(region) == 1 =>
                RegionError.InvalidArgument($"peer {peerId} is the last voter of region {region.RegionId}"),
            PeerChangeKind.AddLearner or PeerChangeKind.PromoteLearner or PeerChangeKind.RemovePeer or PeerChangeKind.SwapVoter => null,
            _ => RegionError.InvalidArgument($"unknown peer change {kind}"),
        };
    }

    /// <summary>The Raft conf change that carries the step, with the step itself as its context. A swap is two
    /// changes at once, which Raft makes through a joint configuration that the leader leaves by itself.</summary>
    public static ConfChange ToConfChange(PeerChange change)
    {
        if (change.Kind == PeerChangeKind.SwapVoter)
        {
            return new ConfChange(
                ConfChangeTransition.JointAutoLeave,
                [new ConfChangeSingle(ConfChangeType.AddVoter, change.Peer.Id), new ConfChangeSingle(ConfChangeType.AddLearner, change.Demoted!.Value.Id)],
                change.Encode());
        }
        var type = change.Kind switch
        {
            PeerChangeKind.AddLearner => ConfChangeType.AddLearner,
            PeerChangeKind.PromoteLearner => ConfChangeType.AddVoter,
            _ => ConfChangeType.RemoveNode,
        };
        return new ConfChange(ConfChangeTransition.Auto, [new ConfChangeSingle(type, change.Peer.Id)], change.Encode());
    }

    private static int CountVoters(RegionLocalState region)
    {
        var voters = 0;
        foreach (var peer in region.Peers)
        {
            voters += peer.Role == PeerRole.Voter ? 1 : 0;
        }
        return voters;
    }
}
