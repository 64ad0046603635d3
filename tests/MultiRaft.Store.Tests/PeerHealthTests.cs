using MultiRaft.Raft.Tracker;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Tests;

/// <summary>When a leader counts a follower or learner as caught up: the gate for promoting a learner and for
/// handing over leadership.</summary>
public sealed class PeerHealthTests
{
    [Fact]
    public void A_learner_that_has_matched_nothing_is_not_caught_up_even_in_a_young_region()
    {
        // Just added to a region split a moment ago: the leader's log ends at index 10, well within the distance
        // allowed, but the learner has acknowledged nothing yet.
        var learner = new Progress(next: 11, maxInflight: 256, maxInflightBytes: 1 << 20, isLearner: true);

        Assert.False(PeerHealth.IsCaughtUp(learner, lastIndex: 10));
    }

    [Fact]
    public void A_peer_being_sent_a_snapshot_is_not_caught_up()
    {
        var learner = new Progress(next: 11, maxInflight: 256, maxInflightBytes: 1 << 20, isLearner: true) { Match = 9 };
        learner.BecomeSnapshot(10);

        Assert.False(PeerHealth.IsCaughtUp(learner, lastIndex: 10));
    }

    [Fact]
    public void A_peer_the_leader_streams_to_is_caught_up_only_near_the_end_of_the_log()
    {
        var near = new Progress(next: 1, maxInflight: 256, maxInflightBytes: 1 << 20, isLearner: true);
        near.MaybeUpdate(900);
        near.BecomeReplicate();
        var far = new Progress(next: 1, maxInflight: 256, maxInflightBytes: 1 << 20, isLearner: false);
        far.MaybeUpdate(100);
        far.BecomeReplicate();

        Assert.True(PeerHealth.IsCaughtUp(near, lastIndex: 1000));
        Assert.False(PeerHealth.IsCaughtUp(far, lastIndex: 1000));
    }
}
