using MultiRaft.Raft.Tracker;

namespace MultiRaft.Raft.Tests;

/// <summary>The leader's per-follower flow control: probe, replicate and snapshot states, and the bounded
/// window of appends in flight.</summary>
public class ProgressTests
{
    private static readonly ulong[] Three = [1, 2, 3];

    private static Progress Replicating(ulong match, int window = 4)
    {
        var pr = new Progress(match + 1, window, 0, isLearner: false) { Match = match };
        pr.BecomeReplicate();
        return pr;
    }

    [Fact]
    public void Inflights_fill_up_to_capacity_and_refuse_more()
    {
        var inflights = new Inflights(3, 0);
        inflights.Add(1, 10);
        inflights.Add(2, 10);
        Assert.False(inflights.Full);
        inflights.Add(3, 10);

        Assert.True(inflights.Full);
        Assert.Equal(3, inflights.Count);
        Assert.Throws<InvalidOperationException>(() => inflights.Add(4, 10));
    }

    [Fact]
    public void Inflights_free_every_append_up_to_the_acknowledged_index()
    {
        var inflights = new Inflights(5, 0);
        foreach (var last in new ulong[] { 2, 4, 6, 8 })
        {
            inflights.Add(last, 1);
        }

        inflights.FreeLE(5); // frees the appends ending at 2 and 4, not 6
        Assert.Equal(2, inflights.Count);
        inflights.FreeLE(1); // stale ack: nothing to free
        Assert.Equal(2, inflights.Count);
        inflights.FreeLE(8);
        Assert.Equal(0, inflights.Count);
    }

    [Fact]
    public void Inflights_ring_buffer_wraps_around_without_losing_order()
    {
        var inflights = new Inflights(3, 0);
        ulong next = 1;
        for (var round = 0; round < 10; round++)
        {
            while (!inflights.Full)
            {
                inflights.Add(next++, 1);
            }
            inflights.FreeLE(next - 3); // ack the oldest only
            Assert.Equal(2, inflights.Count);
        }
        inflights.FreeLE(next - 2);
        Assert.Equal(1, inflights.Count);
        inflights.FreeLE(next - 1);
        Assert.Equal(0, inflights.Count);
    }

    [Fact]
    public void Inflights_are_also_bounded_by_bytes()
    {
        var inflights = new Inflights(100, maxBytes: 1000);
        inflights.Add(1, 600);
        Assert.False(inflights.Full);
        inflights.Add(2, 500); // may overshoot once; then the window is full
        Assert.True(inflights.Full);

        inflights.FreeLE(1);
        Assert.False(inflights.Full);
        Assert.Equal(1, inflights.Count);
    }

    [Fact]
    public void Inflights_free_first_one_releases_only_the_oldest_append()
    {
        var inflights = new Inflights(3, 0);
        inflights.Add(4, 1);
        inflights.Add(7, 1);
        inflights.Add(9, 1);

        inflights.FreeFirstOne();

        Assert.Equal(2, inflights.Count);
        Assert.False(inflights.Full);
        inflights.FreeLE(7);
        Assert.Equal(1, inflights.Count);
    }

    [Fact]
    public void Inflights_reset_empties_the_window()
    {
        var inflights = new Inflights(2, 0);
        inflights.Add(1, 1);
        inflights.Add(2, 1);
        inflights.Reset();

        Assert.Equal(0, inflights.Count);
        Assert.False(inflights.Full);
    }

    [Fact]
    public void Probe_sends_one_append_then_pauses_until_an_answer()
    {
        var pr = new Progress(5, 4, 0, isLearner: false);
        Assert.Equal(ProgressState.Probe, pr.State);
        Assert.False(pr.IsPaused);

        pr.SentEntries(3, 7, 100);

        Assert.True(pr.IsPaused);
        Assert.Equal(5UL, pr.Next); // a probe does not move Next: its fate is unknown
        Assert.Equal(0, pr.Inflights.Count);
        Assert.True(pr.MaybeUpdate(7));
        Assert.False(pr.IsPaused);
        Assert.Equal((7UL, 8UL), (pr.Match, pr.Next));
    }

    [Fact]
    public void Replicate_streams_optimistically_advancing_next_until_the_window_is_full()
    {
        var pr = Replicating(match: 10, window: 2);

        pr.SentEntries(2, 12, 50);
        Assert.Equal(13UL, pr.Next);
        Assert.False(pr.IsPaused);
        pr.SentEntries(1, 13, 50);
        Assert.True(pr.IsPaused);

        Assert.True(pr.MaybeUpdate(12));
        pr.Inflights.FreeLE(12);
        Assert.False(pr.IsPaused);
        Assert.Equal((12UL, 14UL), (pr.Match, pr.Next));
    }

    [Fact]
    public void Snapshot_state_pauses_appends_and_resumes_after_the_snapshot()
    {
        var pr = Replicating(match: 3);
        pr.BecomeSnapshot(50);

        Assert.True(pr.IsPaused);
        Assert.Equal(50UL, pr.PendingSnapshot);
        Assert.Throws<InvalidOperationException>(() => pr.SentEntries(1, 4, 1));

        pr.BecomeProbe();
        Assert.Equal((ProgressState.Probe, 51UL), (pr.State, pr.Next));
    }

    [Fact]
    public void Rejection_in_replicate_falls_back_to_match_plus_one_unless_it_is_stale()
    {
        var pr = Replicating(match: 5);
        pr.SentEntries(3, 8, 1);

        Assert.False(pr.MaybeDecreaseTo(rejected: 5, matchHint: 2)); // at or below Match: an old message
        Assert.Equal(9UL, pr.Next);

        Assert.True(pr.MaybeDecreaseTo(rejected: 8, matchHint: 6));
        Assert.Equal(6UL, pr.Next);
    }

    [Fact]
    public void Rejection_in_probe_counts_only_for_the_last_probe_and_follows_the_hint()
    {
        var pr = new Progress(10, 4, 0, isLearner: false) { Match = 2 };
        pr.SentEntries(1, 10, 1);

        Assert.False(pr.MaybeDecreaseTo(rejected: 7, matchHint: 3)); // not our last probe (9)
        Assert.Equal(10UL, pr.Next);

        Assert.True(pr.MaybeDecreaseTo(rejected: 9, matchHint: 4));
        Assert.Equal(5UL, pr.Next);
        Assert.False(pr.IsPaused); // the answer arrived: probe again

        pr.SentEntries(1, 5, 1);
        Assert.True(pr.MaybeDecreaseTo(rejected: 4, matchHint: 0));
        Assert.Equal(3UL, pr.Next); // never below Match + 1
    }

    [Fact]
    public void Leader_probes_a_new_follower_then_replicates_once_it_answers()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        Drive.MakeLeader(node, storage, ack: false);
        Assert.All(new ulong[] { 2, 3 }, id => Assert.Equal(ProgressState.Probe, node.Progress[id].State));
        Assert.True(node.Progress[2].IsPaused); // probe sent, no answer yet

        node.Step(Drive.AppendAck(2, 1, 1, 1));

        Assert.Equal(ProgressState.Replicate, node.Progress[2].State);
        Assert.Equal((1UL, 2UL), (node.Progress[2].Match, node.Progress[2].Next));
        Assert.Equal(ProgressState.Probe, node.Progress[3].State);
    }

    [Fact]
    public void Leader_falls_back_to_probe_when_a_replicating_follower_rejects()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, Drive.Plain);
        Drive.MakeLeader(node, storage);
        node.Propose("x"u8.ToArray());
        Drive.Flush(node, storage);
        Assert.Equal(ProgressState.Replicate, node.Progress[2].State);

        node.Step(new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = 1, Index = 1, Reject = true, RejectHint = 0 });
        Assert.Equal(ProgressState.Replicate, node.Progress[2].State); // rejects index 1, already matched: stale

        node.Step(new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = 1, Index = 2, Reject = true, RejectHint = 1, LogTerm = 1 });

        Assert.Equal(ProgressState.Probe, node.Progress[2].State);
        var resend = Assert.Single(Drive.Flush(node, storage), m => m.Type == MessageType.Append && m.To == 2);
        Assert.Equal((1UL, 1), (resend.Index, resend.Entries.Length));
    }

    [Fact]
    public void Leader_with_a_full_inflight_window_stops_sending_and_resumes_on_acknowledgement()
    {
        var storage = MemoryStorage.WithVoters(Three);
        var node = Drive.Node(1, storage, c => Drive.Plain(c) with { MaxInflightMessages = 2 });
        Drive.MakeLeader(node, storage);
        var appendsTo2 = new List<Message>();

        for (var i = 0; i < 5; i++)
        {
            node.Propose(new[] { (byte)i });
            appendsTo2.AddRange(Drive.Flush(node, storage).Where(m => m.Type == MessageType.Append && m.To == 2));
        }

        Assert.Equal(2, appendsTo2.Count); // two in flight, then the window is full
        Assert.True(node.Progress[2].IsPaused);
        Assert.True(node.Progress[2].Inflights.Full);
        Assert.Equal((6UL, 4UL), (node.LastIndex, node.Progress[3].Next)); // 3 got the same two and stalls too

        // Acknowledging the first append frees one slot: the rest go out in one append.
        node.Step(Drive.AppendAck(2, 1, 1, appendsTo2[0].Index + (ulong)appendsTo2[0].Entries.Length));
        var resumed = Assert.Single(Drive.Flush(node, storage), m => m.Type == MessageType.Append && m.To == 2);
        Assert.Equal(node.LastIndex, resumed.Index + (ulong)resumed.Entries.Length);
        Assert.Equal(3UL, (ulong)resumed.Entries.Length);
        Assert.True(node.Progress[2].Inflights.Full); // the second append and this one

        node.Step(Drive.AppendAck(2, 1, 1, node.LastIndex));
        Assert.Equal(0, node.Progress[2].Inflights.Count);
        Assert.False(node.Progress[2].IsPaused);
    }

    [Fact]
    public void Leader_retransmits_appends_lost_in_flight_after_the_next_heartbeat()
    {
        var cluster = new TestCluster(3, Drive.Plain);
        cluster.Elect(1);
        cluster.Drop(MessageType.Append);
        var proposal = cluster[1].Propose("lost-once");
        cluster.Deliver();
        Assert.Equal(1UL, cluster[2].Node.LastIndex);
        cluster.Heal();

        cluster.TickAll(4); // two heartbeat rounds, no new proposals

        Assert.Equal(proposal.Index, cluster[1].Node.CommitIndex);
        Assert.All(cluster.Peers.Values, p => Assert.Equal(["lost-once"], p.AppliedCommands));
    }

    [Fact]
    public void Leader_resumes_a_follower_whose_inflight_window_filled_while_it_was_unreachable()
    {
        var cluster = new TestCluster(3, c => Drive.Plain(c) with { MaxInflightMessages = 2 });
        cluster.Elect(1);
        cluster.Isolate(3);
        for (var i = 0; i < 4; i++)
        {
            cluster[1].Propose($"p{i}");
            cluster.Deliver(); // one append per Ready: the first two fill 3's window, all are lost
        }
        Assert.True(cluster[1].Node.Progress[3].Inflights.Full);
        cluster.Heal();

        cluster.TickAll(10);

        Assert.Equal(["p0", "p1", "p2", "p3"], cluster[3].AppliedCommands);
        Assert.Equal(cluster[1].Node.LastIndex, cluster[1].Node.Progress[3].Match);
    }

    [Fact]
    public void Leader_sends_a_snapshot_to_a_follower_whose_next_entries_were_compacted_then_replicates_again()
    {
        var net = new StepNetwork(3, Drive.Plain);
        net.Campaign(1);
        net.Lose = m => m.From == 3 || m.To == 3;
        for (var i = 0; i < 5; i++)
        {
            net.Propose(1, $"s{i}");
        }
        net.Run();
        var leader = net[1];
        var applied = leader.AppliedIndex;
        Assert.Equal(6UL, applied);
        net.Storages[1].CreateSnapshot(applied, leader.ConfState, "state"u8.ToArray());
        net.Storages[1].Compact(applied);

        // The follower is back, but its acknowledgement of the snapshot is lost: the leader stays in
        // snapshot state and sends it nothing else.
        net.Lose = m => m.From == 3 && m.Type == MessageType.AppendResponse && !m.Reject;
        net.Tick(1, 2);

        Assert.Single(net.Delivered, m => m.Type == MessageType.InstallSnapshot && m.To == 3 && m.Snapshot!.Metadata.Index == applied);
        Assert.Equal(ProgressState.Snapshot, leader.Progress[3].State);
        Assert.Equal(applied, leader.Progress[3].PendingSnapshot);
        Assert.True(leader.Progress[3].IsPaused);
        Assert.Equal((applied, applied), (net[3].CommitIndex, net[3].FirstIndex - 1));
        var sentTo3 = net.Delivered.Count(m => m.To == 3 && m.Type is MessageType.Append or MessageType.InstallSnapshot);
        net.Tick(1, 4);
        Assert.Equal(sentTo3, net.Delivered.Count(m => m.To == 3 && m.Type is MessageType.Append or MessageType.InstallSnapshot));

        // The host reports the snapshot delivered: the leader probes right after it, then streams again.
        leader.ReportSnapshot(3, succeeded: true);
        Assert.Equal((ProgressState.Probe, applied + 1), (leader.Progress[3].State, leader.Progress[3].Next));
        net.Lose = _ => false;
        net.Tick(1, 2);
        net.Propose(1, "after-snapshot");
        net.Run();

        Assert.Equal(ProgressState.Replicate, leader.Progress[3].State);
        Assert.Equal(leader.LastIndex, leader.Progress[3].Match);
        Assert.Equal(["after-snapshot"], net.Applied[3].Where(e => !e.Data.IsEmpty).Select(StepNetwork.Text));
    }
}
