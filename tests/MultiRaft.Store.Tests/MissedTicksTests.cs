using MultiRaft.Raft;
using MultiRaft.Store.Peers;
using static MultiRaft.Store.Tests.LocalStoreParts;

namespace MultiRaft.Store.Tests;

/// <summary>
/// A peer that waited long for a worker catches up the ticks it missed. Those ticks passed before the
/// messages that queued meanwhile: a follower that acknowledges a leader's heartbeat must not then count an
/// election timeout of old ticks and campaign at once — the leader's lease, counted from that heartbeat,
/// relies on its voters waiting an election timeout after it. A leader deposed by a queued message owes the new
/// leader the same.
/// </summary>
public sealed class MissedTicksTests : IDisposable
{
    private readonly LocalStoreParts _store = new(tickInterval: TimeSpan.FromMilliseconds(2));

    [Fact]
    public async Task A_follower_that_ran_late_counts_its_missed_ticks_before_the_heartbeat_that_waited()
    {
        var region = Region(1, "", "", 10);
        var follower = _store.Hosted(region, brandNew: true);
        var leader = region.Peers[1].Id;
        follower.HandleInbox(_store.Guard);
        Assert.Equal(RaftRole.Follower, follower.Node.Role);

        await Task.Delay(TimeSpan.FromMilliseconds(200)); // 100 ticks missed: five times the longest election timeout.
        follower.Post(new PeerInput(PeerInputKind.RaftMessage, new Message
        {
            Type = MessageType.Heartbeat,
            From = leader,
            To = follower.PeerId,
            Term = follower.Node.Term,
        }));
        follower.HandleInbox(_store.Guard);

        Assert.Equal(RaftRole.Follower, follower.Node.Role);
        Assert.Equal(leader, follower.Node.LeaderId);
    }

    [Fact]
    public async Task A_leader_deposed_by_a_message_that_waited_does_not_count_its_missed_ticks_after_it()
    {
        var region = Region(1, "", "", 10);
        var peer = _store.Hosted(region, brandNew: true);
        ulong self = region.Peers[0].Id, other = region.Peers[1].Id, third = region.Peers[2].Id;
        peer.Post(new PeerInput(PeerInputKind.Campaign));
        peer.HandleInbox(_store.Guard);
        var campaignTerm = peer.Node.Term + 1;
        Step(peer, new Message { Type = MessageType.RequestPreVoteResponse, From = other, To = self, Term = campaignTerm });
        Step(peer, new Message { Type = MessageType.RequestVoteResponse, From = other, To = self, Term = campaignTerm });
        Assert.Equal(RaftRole.Leader, peer.Node.Role);

        await Task.Delay(TimeSpan.FromMilliseconds(200)); // 100 ticks missed.
        Step(peer, new Message { Type = MessageType.Heartbeat, From = third, To = self, Term = campaignTerm + 1 });

        Assert.Equal(RaftRole.Follower, peer.Node.Role);
        Assert.Equal(third, peer.Node.LeaderId);
    }

    private void Step(Peer peer, Message message)
    {
        peer.Post(new PeerInput(PeerInputKind.RaftMessage, message));
        peer.HandleInbox(_store.Guard);
    }

    public void Dispose() => _store.Dispose();
}
