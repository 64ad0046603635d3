using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Regions;
using MultiRaft.Store.Snapshots;

namespace MultiRaft.Store.Peers;

/// <summary>
/// One replica of one region on this store: its Raft node, the region as last applied, and the client work
/// waiting on it. Any thread may post input; only the batch system's worker that holds the peer (see
/// <see cref="TrySchedule"/>) runs the node, so the node needs no lock.
/// </summary>
internal sealed partial class Peer : Batch.IBatchItem
{
    private readonly ConcurrentQueue<PeerInput> _inbox = new();
    private readonly Action<Peer> _schedule;
    private readonly Dictionary<ulong, Proposal> _proposals = [];
    private readonly List<PeerInput> _deferred = [];
    private int _scheduled;
    private readonly Batch.TickClock _clock;
    private long _tickSeen;
    private int _inflightProposals;
    private volatile RegionLocalState _region;
    private volatile StrongBox<PeerInfo>? _leader; // Boxed: a nullable struct cannot be volatile.
    private volatile bool _isLeader;
    private volatile bool _destroyed;

    public Peer(RegionLocalState region, ulong peerId, RaftNode node, ulong appliedIndex, Batch.TickClock clock, Action<Peer> schedule, Action<Apply.ApplyMailbox> scheduleApply)
    {
        Applies = new Apply.ApplyMailbox(this, scheduleApply);
        _clock = clock;
        _tickSeen = clock.Now;
        _region = region;
        PeerId = peerId;
        Node = node;
        AppliedIndex = appliedIndex;
        _schedule = schedule;
    }

    public ulong RegionId => _region.RegionId;

    public ulong PeerId { get; }

    /// <summary>Touched only by the worker holding the peer.</summary>
    public RaftNode Node { get; }

    /// <summary>Committed entries on their way to an apply worker.</summary>
    public Apply.ApplyMailbox Applies { get; }

    /// <summary>The region as of the last applied command (range, epoch, peers); swapped whole, read by any thread.</summary>
    public RegionLocalState Region
    {
        get => _region;
        set => _region = value;
    }

    public bool IsLeader => _isLeader;

    /// <summary>The leader as this peer last knew it, for NotLeader hints.</summary>
    public PeerInfo? Leader => _leader?.Value;

    public bool IsDestroyed => _destroyed;

    /// <summary>False for a replica being added that has no data yet: it exists only to receive its first
    /// snapshot, and serves nothing until then.</summary>
    public bool IsInitialized { get; set; } = true;

    /// <summary>When a message from a leader last arrived (Environment.TickCount64), so a replica that was
    /// removed while away can notice it is no longer hearing from anyone.</summary>
    public long LastLeaderContact { get; private set; } = Environment.TickCount64;

    /// <summary>Set when this round admitted a snapshot (see <see cref="SnapshotRangeGuard"/>); the round
    /// releases its range once over.</summary>
    public bool HoldsSnapshotRange { get; set; }

    /// <summary>Set by <see cref="PeerInputKind.Destroy"/>: the worker destroys the peer after this round.</summary>
    public bool DestroyRequested { get; private set; }

    /// <summary>Set by <see cref="PeerInputKind.CompactLog"/>; the log compactor clears it.</summary>
    public bool LogCompactionRequested { get; set; }

    /// <summary>The node's term after the last round, for reports from other threads.</summary>
    public ulong Term { get; private set; }

    public ulong AppliedIndex { get; set; }

    /// <summary>The node's commit index after the last round, for reports from other threads.</summary>
    public ulong CommittedIndex { get; private set; }

    /// <summary>Entries committed and not yet applied here, as of the last round.</summary>
    public ulong ApplyLag => CommittedIndex > AppliedIndex ? CommittedIndex - AppliedIndex : 0;

    public int InflightProposals => Volatile.Read(ref _inflightProposals);

    /// <summary>Set when leadership or the region changed, so the store reports to PD at once.</summary>
    public bool HeartbeatDue { get; set; }

    /// <summary>The region and term of this peer's last heartbeat PD accepted whole, or null: while both still
    /// hold, heartbeats leave the region's metadata out. Only the PD reporter reads or writes it.</summary>
    public (RegionLocalState Region, ulong Term)? ReportedToPd { get; set; }

    public void Post(PeerInput input)
    {
        _inbox.Enqueue(input);
        // Followers answering the heartbeat that put the region to sleep must not wake it again.
        if (!input.Hibernate && input.Message?.Type != MessageType.HeartbeatResponse)
        {
            Wake();
        }
        TrySchedule();
    }

    /// <summary>The store's ticker: time moved on, so the peer should run its ticks. A hibernating peer sleeps
    /// through it.</summary>
    public void Nudge()
    {
        if (!_hibernating)
        {
            TrySchedule();
        }
    }

    /// <summary>Queues the peer for a worker unless one already holds or awaits it.</summary>
    public void TrySchedule()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            _schedule(this);
        }
    }

    /// <summary>Called by the worker at the end of its round: releases the peer, and queues it again if input
    /// or a log writer's report arrived meanwhile (posters saw it held and did not queue it).</summary>
    public void Release()
    {
        Volatile.Write(ref _scheduled, 0);
        if (!_destroyed && (!_inbox.IsEmpty || Node.HasReady || HasPersistedReport))
        {
            TrySchedule();
        }
    }

    /// <summary>Runs the inbox against the node: ticks, Raft messages, proposals and reads. Returns the number
    /// of ticks it ran. Snapshots are stepped only if <paramref name="snapshots"/> admits them.</summary>
    public int HandleInbox(SnapshotRangeGuard snapshots)
    {
        ResumeIfWoken();
        // Time missed while this peer waited for a worker is caught up to the monotonic clock, so a lease is
        // judged on real time before any read. The missed ticks passed before the queued messages are handled:
        // a follower runs them first, or a heartbeat it acknowledges now would be followed at once by an
        // election timeout's worth of old ticks — it would vote while the leader's lease, counted from that
        // heartbeat, still holds. A leader runs them last: it counts the acknowledgements already queued
        // before its ticks check for a quorum (the lease itself counts from the ticks stamped on its messages).
        // A leader that a queued message deposed drops them instead: counted after that message, they would cut
        // short the election timeout it now owes the new leader (a later election is only slower).
        var leading = Node.Role == RaftRole.Leader;
        var ticked = leading ? 0 : CatchUpTicks();
        _deferred.Clear();
        while (_inbox.TryDequeue(out var input))
        {
            if (input.Kind == PeerInputKind.RaftMessage)
            {
                StepMessage(input, snapshots);
            }
            else
            {
                _deferred.Add(input);
            }
        }
        if (leading)
        {
            ticked = CatchUpTicks(run: Node.Role == RaftRole.Leader);
        }
        List<ReadWaiter>? reads = null;
        foreach (var input in _deferred)
        {
            switch (input.Kind)
            {
                case PeerInputKind.Destroy:
                    DestroyRequested = true;
                    break;
                case PeerInputKind.CompactLog:
                    LogCompactionRequested = true;
                    break;
                case PeerInputKind.Propose:
                    Propose(input.Proposal!);
                    break;
                case PeerInputKind.Read:
                    (reads ??= []).Add(input.Read!);
                    break;
                case PeerInputKind.Unreachable:
                    Node.ReportUnreachable(input.PeerId);
                    break;
                case PeerInputKind.SnapshotReport:
                    Node.ReportSnapshot(input.PeerId, input.Succeeded);
                    break;
                case PeerInputKind.TransferLeader when CanLead(input.PeerId):
                    Node.TransferLeader(input.PeerId);
                    break;
                case PeerInputKind.Campaign:
                    Node.Campaign();
                    break;
            }
        }
        _deferred.Clear();
        if (reads is not null)
        {
            StartRead(reads);
        }
        return ticked;
    }

    /// <summary>Whether a transfer to <paramref name="peerId"/> may start: while it runs the leader refuses
    /// proposals, so one to a peer being sent a snapshot or hundreds of entries behind would stall the region for
    /// an election timeout and then fail. Such a request is dropped; whoever asked (PD's operator) asks again.
    /// TiKV refuses these transfers the same way.</summary>
    private bool CanLead(ulong peerId) =>
        Node.Role != RaftRole.Leader
        || (Node.Progress.TryGetValue(peerId, out var progress) && PeerHealth.IsCaughtUp(progress, Node.LastIndex));

    /// <summary>Runs the ticks missed since the last catch-up (none while hibernating, or unless
    /// <paramref name="run"/>); returns how many ran.</summary>
    private int CatchUpTicks(bool run = true)
    {
        var now = _clock.Now;
        var ticked = _hibernating || !run ? 0 : (int)Math.Min(now - _tickSeen, int.MaxValue);
        _tickSeen = now;
        for (var ticks = ticked; ticks > 0; ticks--)
        {
            Node.Tick();
        }
        return ticked;
    }

    private void StepMessage(PeerInput input, SnapshotRangeGuard snapshots)
    {
        if (input.Message!.Type is MessageType.Append or MessageType.Heartbeat or MessageType.InstallSnapshot)
        {
            LastLeaderContact = Environment.TickCount64;
        }
        if (input.Message.Snapshot is { } snapshot && input.Message.Type == MessageType.InstallSnapshot)
        {
            if (!snapshots.TryAdmit(this, snapshot))
            {
                return;
            }
            HoldsSnapshotRange = true;
        }
        Node.Step(input.Message);
        if (input.Hibernate)
        {
            OnHibernateNotice(input.Message);
        }
    }

    private void Propose(Proposal proposal)
    {
        var result = proposal.ConfChange is { } change ? Node.ProposeConfChange(change) : Node.Propose(proposal.Data);
        if (!result.IsAccepted)
        {
            proposal.Fail(RejectionFor(result.Status));
            return;
        }
        proposal.Index = result.Index;
        proposal.Term = result.Term;
        Interlocked.Increment(ref _inflightProposals);
        if (_proposals.Remove(result.Index, out var overwritten))
        {
            // Our own log held an older-term entry at this index: it was never committed.
            FinishProposal(overwritten, new CommandResult(Dropped(overwritten)));
        }
        _proposals[result.Index] = proposal;
    }

    public bool HasProposals => _proposals.Count > 0;

    /// <summary>The proposal placed at <paramref name="index"/>, if any (it completes once the entry there applies).</summary>
    public Proposal? TakeProposal(ulong index) => _proposals.Remove(index, out var proposal) ? proposal : null;

    public void FinishProposal(Proposal proposal, CommandResult result)
    {
        Interlocked.Decrement(ref _inflightProposals);
        proposal.Complete(result);
    }

    public static RegionError Dropped(Proposal proposal) =>
        new(RegionErrorKind.ProposalDropped, $"the entry at index {proposal.Index} was replaced by another leader's");

    private RegionError RejectionFor(ProposalStatus status) => status switch
    {
        ProposalStatus.NotLeader => RegionError.NotLeader(RegionId, Leader),
        _ => new RegionError(RegionErrorKind.ProposalDropped, $"region {RegionId} did not take the proposal: {status}"),
    };

    /// <summary>After each Ready: who leads now, for the RPC threads' fast checks.</summary>
    public void ObserveRole()
    {
        var leaderId = Node.LeaderId;
        Term = Node.Term;
        CommittedIndex = Node.CommitIndex;
        var wasLeader = _isLeader;
        _isLeader = Node.Role == RaftRole.Leader;
        var region = _region;
        var leader = leaderId == RaftNode.None ? null : region.PeerById(leaderId) is { } p ? new PeerInfo(p.Id, p.StoreId, p.Role == PeerRole.Learner) : (PeerInfo?)null;
        if (leader != Leader)
        {
            _leader = leader is { } known ? new StrongBox<PeerInfo>(known) : null;
        }
        if (_isLeader && !wasLeader)
        {
            HeartbeatDue = true;
            _leaderSinceTick = Node.Ticks; // Followers are not down before they had time to answer this leader.
        }
        if (wasLeader && !_isLeader)
        {
            FailReads(RegionError.NotLeader(RegionId, Leader));
        }
    }

    /// <summary>The peer is gone (region removed from this store, or the store stops): nothing waiting on it
    /// will complete normally.</summary>
    public void Destroy(RegionError reason)
    {
        _destroyed = true;
        StopLocalReads();
        // A proposal Raft already took may still commit through the other replicas: its outcome is unknown.
        var unknown = new RegionError(RegionErrorKind.Timeout, $"{reason.Message}; the write was proposed and may still be applied");
        foreach (var proposal in _proposals.Values)
        {
            FinishProposal(proposal, new CommandResult(unknown));
        }
        _proposals.Clear();
        FailReads(reason);
        while (_inbox.TryDequeue(out var input))
        {
            input.Proposal?.Fail(reason);
            input.Read?.Fail(reason);
        }
    }
}
