using MultiRaft.Raft;
using static MultiRaft.Store.Tests.LocalStoreParts;

namespace MultiRaft.Store.Tests;

/// <summary>
/// A peer that waited long for a worker catches up the ticks it missed. Those ticks passed before the
/// messages that queued meanwhile: a follower that acknowledges a leader's heartbeat must not then count an
/// election timeout of old ticks and campaign at once — the leader's lease, counted from that heartbeat,
/// relies on its voters waiting an election timeout after it.
/// </summary>
public sealed class MissedTicksTests : IDisposable
{
    private readonly LocalStoreParts _store = new(tickInterval: TimeSpan.FromMilliseconds(2));

    [Fact]
    public async Task A_follower_that_ran_late_counts_its_missed_ticks_before_the_heartbeat_that_waited()
    {
        var region = Region(1, "", "", 10);
        var follower = _store.Hosted(region, justSplit: true);
        var leader = region.Peers[1].Id;
        follower.HandleInbox(_store.Guard);
        Assert.Equal(RaftRole.Follower, follower.Node.Role);

        await Task.Delay(TimeSpan.FromMilliseconds(200)); // 100 ticks missed: five times the longest election timeout.
        follower.Post(new Peers.PeerInput(Peers.PeerInputKind.RaftMessage, new Message
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

    public void Dispose() => _store.Dispose();
}
