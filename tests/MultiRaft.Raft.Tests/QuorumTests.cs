using MultiRaft.Raft.Quorum;

namespace MultiRaft.Raft.Tests;

/// <summary>Quorum arithmetic: the index a majority has acknowledged, vote tallies, and joint consensus
/// (Raft §4.3), where every decision needs a majority of both the old and the new configuration.</summary>
public class QuorumTests
{
    private static Func<ulong, ulong> Acked(params (ulong Id, ulong Index)[] acks)
    {
        var map = acks.ToDictionary(a => a.Id, a => a.Index);
        return id => map.TryGetValue(id, out var index) ? index : 0;
    }

    private static Func<ulong, bool?> Votes(params (ulong Id, bool Granted)[] votes)
    {
        var map = votes.ToDictionary(v => v.Id, v => v.Granted);
        return id => map.TryGetValue(id, out var granted) ? granted : null;
    }

    [Theory]
    [InlineData(new ulong[] { 5 }, 5UL)]
    [InlineData(new ulong[] { 5, 3 }, 3UL)] // two voters: both needed
    [InlineData(new ulong[] { 5, 3, 1 }, 3UL)]
    [InlineData(new ulong[] { 1, 3, 5 }, 3UL)] // order of ids does not matter
    [InlineData(new ulong[] { 5, 4, 3, 2 }, 3UL)] // four voters: three needed
    [InlineData(new ulong[] { 9, 9, 0, 0, 0 }, 0UL)]
    [InlineData(new ulong[] { 9, 9, 7, 0, 0 }, 7UL)]
    [InlineData(new ulong[] { 2, 2, 2, 2, 2, 2, 2 }, 2UL)]
    public void Majority_committed_index_is_the_highest_index_held_by_a_majority(ulong[] acked, ulong expected)
    {
        var config = new MajorityConfig(Enumerable.Range(1, acked.Length).Select(i => (ulong)i));

        var committed = config.CommittedIndex(id => acked[id - 1]);

        Assert.Equal(expected, committed);
    }

    [Fact]
    public void Majority_committed_index_counts_only_members()
    {
        var config = new MajorityConfig([1, 2, 3]);

        // Peer 9 is not a voter: its ack must not help.
        Assert.Equal(1UL, config.CommittedIndex(Acked((1, 9), (9, 9), (2, 1), (3, 0))));
    }

    [Fact]
    public void Empty_majority_config_commits_everything_so_it_never_holds_back_the_other_half_of_a_joint_config()
    {
        Assert.Equal(ulong.MaxValue, new MajorityConfig().CommittedIndex(_ => 0));
        Assert.Equal(VoteResult.Won, new MajorityConfig().Tally(_ => null));
    }

    [Theory]
    [InlineData(3, 2, 0, VoteResult.Won)]
    [InlineData(3, 1, 0, VoteResult.Pending)]
    [InlineData(3, 1, 1, VoteResult.Pending)]
    [InlineData(3, 1, 2, VoteResult.Lost)]
    [InlineData(3, 0, 2, VoteResult.Lost)]
    [InlineData(4, 2, 0, VoteResult.Pending)]
    [InlineData(4, 2, 2, VoteResult.Lost)] // a tie is a loss: three of four are needed
    [InlineData(4, 3, 1, VoteResult.Won)]
    [InlineData(5, 3, 2, VoteResult.Won)]
    [InlineData(5, 2, 2, VoteResult.Pending)]
    [InlineData(1, 1, 0, VoteResult.Won)]
    [InlineData(1, 0, 1, VoteResult.Lost)]
    public void Majority_tally_is_won_lost_or_pending_by_the_votes_still_possible(int voters, int granted, int rejected, VoteResult expected)
    {
        var config = new MajorityConfig(Enumerable.Range(1, voters).Select(i => (ulong)i));
        bool? Vote(ulong id) => id <= (ulong)granted ? true : id <= (ulong)(granted + rejected) ? false : null;

        Assert.Equal(expected, config.Tally(Vote));
    }

    [Fact]
    public void Majority_tally_ignores_votes_of_non_members()
    {
        var config = new MajorityConfig([1, 2, 3]);

        Assert.Equal(VoteResult.Pending, config.Tally(Votes((1, true), (7, true), (8, true))));
    }

    [Fact]
    public void Joint_committed_index_is_the_lower_of_the_two_majorities()
    {
        var joint = new JointConfig(new MajorityConfig([1, 2, 3]), new MajorityConfig([3, 4, 5]));
        var acked = Acked((1, 10), (2, 10), (3, 4), (4, 2), (5, 1));

        // Incoming (1,2,3) holds 10 on a majority; outgoing (3,4,5) only 2.
        Assert.Equal(10UL, joint.Incoming.CommittedIndex(acked));
        Assert.Equal(2UL, joint.CommittedIndex(acked));
    }

    [Fact]
    public void Joint_config_with_an_empty_outgoing_half_behaves_as_its_incoming_majority()
    {
        var joint = new JointConfig(new MajorityConfig([1, 2, 3]), new MajorityConfig());
        var acked = Acked((1, 7), (2, 5), (3, 1));

        Assert.False(joint.IsJoint);
        Assert.Equal(5UL, joint.CommittedIndex(acked));
        Assert.Equal(VoteResult.Won, joint.Tally(Votes((1, true), (2, true))));
        Assert.Equal(VoteResult.Lost, joint.Tally(Votes((1, false), (2, false))));
    }

    [Fact]
    public void Joint_vote_is_won_only_when_both_halves_win()
    {
        var joint = new JointConfig(new MajorityConfig([1, 2, 3]), new MajorityConfig([3, 4, 5]));

        // 1 and 2 win the incoming half, but the outgoing half has only 3... pending on 4 and 5.
        Assert.Equal(VoteResult.Pending, joint.Tally(Votes((1, true), (2, true))));
        Assert.Equal(VoteResult.Won, joint.Tally(Votes((1, true), (2, true), (4, true), (5, true))));
        // 3 is in both halves: its vote counts twice, as it should.
        Assert.Equal(VoteResult.Won, joint.Tally(Votes((1, true), (3, true), (4, true))));
    }

    [Fact]
    public void Joint_vote_is_lost_when_either_half_loses()
    {
        var joint = new JointConfig(new MajorityConfig([1, 2, 3]), new MajorityConfig([3, 4, 5]));

        // The incoming half has won, but the outgoing half has lost: the joint vote is lost.
        Assert.Equal(VoteResult.Lost, joint.Tally(Votes((1, true), (2, true), (4, false), (5, false))));
        // The incoming half has lost while the outgoing one is still pending: lost as well.
        Assert.Equal(VoteResult.Lost, joint.Tally(Votes((1, false), (2, false), (4, true))));
    }

    [Fact]
    public void Joint_ids_lists_each_voter_once()
    {
        var joint = new JointConfig(new MajorityConfig([1, 2, 3]), new MajorityConfig([3, 4]));

        Assert.Equal([1UL, 2UL, 3UL, 4UL], joint.Ids().Order());
        Assert.True(joint.Contains(4));
        Assert.False(joint.Contains(5));
    }

    [Fact]
    public void Leader_in_a_joint_configuration_commits_only_with_a_majority_of_both_halves()
    {
        // The node reads a joint membership (1,2,3) && (1,4,5) from storage and leads it.
        var storage = new MemoryStorage();
        storage.ApplySnapshot(new Snapshot(
            new SnapshotMetadata(1, 1, new ConfState { Voters = [1, 2, 3], VotersOutgoing = [1, 4, 5] }),
            ReadOnlyMemory<byte>.Empty));
        storage.SetHardState(new HardState(1, 0, 1));
        var node = Drive.Node(1, storage, Drive.Plain);
        node.Campaign();
        Drive.Flush(node, storage);
        node.Step(Drive.Vote(2, 1, 2));
        Assert.Equal(RaftRole.Candidate, node.Role); // incoming half won, outgoing not yet
        node.Step(Drive.Vote(4, 1, 2));
        Assert.Equal(RaftRole.Leader, node.Role);
        Drive.Flush(node, storage);

        node.Step(Drive.AppendAck(2, 1, 2, 2));
        node.Step(Drive.AppendAck(3, 1, 2, 2));
        Assert.Equal(1UL, node.CommitIndex); // all of (1,2,3), but only the leader of (1,4,5)

        node.Step(Drive.AppendAck(5, 1, 2, 2));
        Assert.Equal(2UL, node.CommitIndex);
    }
}
