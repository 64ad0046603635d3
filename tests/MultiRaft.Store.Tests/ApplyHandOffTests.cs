using Microsoft.Extensions.Logging.Abstractions;
using MultiRaft.Raft;
using MultiRaft.Store.Apply;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;
using MultiRaft.Store.Status;
using static MultiRaft.Store.Tests.LocalStoreParts;

namespace MultiRaft.Store.Tests;

/// <summary>Committed entries leave the Raft round in a peer's apply mailbox; an apply round writes them in
/// order with the applied index, and the Raft worker can wait for the mailbox to
/// empty before it touches the state machine itself.</summary>
public sealed class ApplyHandOffTests : IDisposable
{
    private readonly List<ApplyMailbox> _scheduled = [];
    private readonly LocalStoreParts _store;
    private readonly StoreMetrics _metrics = new(StoreId);
    private readonly ApplyRound _round;

    public ApplyHandOffTests()
    {
        _store = new LocalStoreParts(scheduleApply: m => { lock (_scheduled) { _scheduled.Add(m); } });
        var splits = new SplitExecutor(_store.Factory, _store.Peers, new EarlyMessages(16, TimeSpan.FromSeconds(1)), _ => { });
        var destroyer = new PeerDestroyer(_store.Log, writer: null, _store.Kv, _store.Peers, NullLogger.Instance);
        _round = new ApplyRound(new Applier(_store.Kv, splits, destroyer, NullLogger.Instance), _metrics);
    }

    private static Entry Put(Peer peer, ulong index, string key, string value) =>
        new(1, index, new RaftCommand(peer.RegionId, peer.Region.Epoch.ToInfo(), [new WriteOp(WriteKind.Put, B(key), B(value))]).Encode());

    /// <summary>What an apply worker does with the mailboxes queued so far.</summary>
    private void RunQueued()
    {
        List<ApplyMailbox> queued;
        lock (_scheduled)
        {
            queued = [.. _scheduled];
            _scheduled.Clear();
        }
        _round.Run(queued);
        foreach (var mailbox in queued)
        {
            mailbox.Release();
        }
    }

    [Fact]
    public void Tasks_are_applied_in_order_with_their_applied_index_and_the_mailbox_is_queued_once()
    {
        var peer = _store.Hosted(Region(1, "", "", 10));
        var start = peer.AppliedIndex;

        peer.Applies.Post(ApplyTask.Take(peer, [Put(peer, start + 1, "k", "1")]));
        peer.Applies.Post(ApplyTask.Take(peer, [Put(peer, start + 2, "k", "2"), Put(peer, start + 3, "j", "3")]));

        Assert.Single(_scheduled);
        Assert.Null(_store.Kv.Get(B("k")));
        RunQueued();

        Assert.Equal("2", System.Text.Encoding.UTF8.GetString(_store.Kv.Get(B("k"))!));
        Assert.Equal(start + 3, peer.AppliedIndex);
        Assert.Equal(start + 3, peer.Applies.AppliedThrough);
        Assert.Equal(start + 3, _store.Kv.GetApplyState(peer.RegionId)!.Value.AppliedIndex);
        Assert.Empty(_scheduled);
    }

    [Fact]
    public void A_task_posted_while_the_mailbox_is_held_queues_it_again_when_released()
    {
        var peer = _store.Hosted(Region(1, "", "", 10));
        var start = peer.AppliedIndex;
        peer.Applies.Post(ApplyTask.Take(peer, [Put(peer, start + 1, "k", "1")]));
        var held = _scheduled.Single();
        _scheduled.Clear();

        Assert.True(held.TryTake(out var first));
        peer.Applies.Post(ApplyTask.Take(peer, [Put(peer, start + 2, "k", "2")]));
        Assert.Empty(_scheduled); // Held: the poster must not queue it a second time.
        held.Finished(1, first.LastIndex);
        held.Release();

        Assert.Single(_scheduled);
    }

    [Fact]
    public async Task Waiting_for_the_mailbox_returns_only_once_every_posted_task_is_applied()
    {
        var peer = _store.Hosted(Region(1, "", "", 10));
        var start = peer.AppliedIndex;
        peer.Applies.Post(ApplyTask.Take(peer, [Put(peer, start + 1, "k", "1")]));

        var waiter = Task.Run(peer.Applies.WaitIdle);
        await Task.Delay(200);
        Assert.False(waiter.IsCompleted);
        RunQueued();

        await waiter.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(start + 1, peer.AppliedIndex);
    }

    [Fact]
    public async Task A_waiter_gives_up_when_the_apply_round_holding_the_mailbox_failed()
    {
        var peer = _store.Hosted(Region(1, "", "", 10));
        peer.Applies.Post(ApplyTask.Take(peer, [Put(peer, peer.AppliedIndex + 1, "k", "1")]));
        var waiter = Task.Run(peer.Applies.WaitIdle);
        await Task.Delay(100);
        Assert.False(waiter.IsCompleted);

        peer.Applies.Abandon();

        await Assert.ThrowsAsync<InvalidOperationException>(() => waiter.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Writes_are_refused_as_busy_while_more_committed_entries_than_the_limit_wait_to_be_applied()
    {
        var peer = _store.Hosted(Region(1, "", "", 10));
        peer.ObserveRole(); // Publishes the commit index, as every round does.
        var committed = peer.CommittedIndex;
        Assert.True(committed >= 3);
        var options = new StoreOptions { DataDirectory = "unused", Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), PdEndpoints = [new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1)], MaxApplyLagEntries = 2 };
        var checks = new Service.RequestChecks(options, _store.Peers);

        peer.AppliedIndex = committed - 2;
        Assert.Null(checks.Busy(peer));
        peer.AppliedIndex = committed - 3;
        var busy = checks.Busy(peer);

        Assert.Equal(Protocol.Kv.RegionErrorKind.ServerIsBusy, busy?.Kind);
        Assert.Contains("3 committed entries waiting to be applied", busy!.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _round.Dispose();
        _metrics.Dispose();
        _store.Dispose();
    }
}
