using MultiRaft.Raft.Reads;
using MultiRaft.Raft.Tracker;

namespace MultiRaft.Raft;

/// <summary>
/// One Raft peer as a deterministic state machine. It does no I/O and reads no clock: the host feeds it
/// ticks, messages and requests, and drains its output with <see cref="GetReady"/> / <see cref="Advance"/>.
/// Not thread-safe: one host thread drives a node at a time.
/// </summary>
public sealed partial class RaftNode
{
    /// <summary>"No node": no leader known, no vote cast.</summary>
    public const ulong None = 0;

    private readonly RaftConfig _config;
    private readonly RaftLog _log;
    private readonly ProgressTracker _tracker;
    private readonly ReadIndexQueue _readIndexQueue = new();
    private readonly List<PendingRead> _readsAwaitingTermCommit = [];
    private readonly Random _random;

    private List<Message> _messages = [];
    private List<Message> _messagesAfterPersist = [];
    private List<ReadState> _readStates = [];

    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private ulong _ticks;
    private readonly ulong _restartQuietTicks;
    private ulong _leaseVoidUntilTick;
    private ulong _leaseStampFloor; // A lease counts only acknowledgements of messages sent at or after this tick.
    private ulong _pendingConfIndex;
    private long _uncommittedBytes;
    private bool _appendsPending;

    public RaftNode(RaftConfig config)
    {
        config.Validate();
        _config = config;
        _random = config.Random;
        Id = config.Id;
        _log = new RaftLog(config.Storage, config.AsyncLogWrites);
        _tracker = new ProgressTracker(config.MaxInflightMessages, config.MaxInflightBytes);

        var (hardState, confState) = config.Storage.InitialState();
        RestoreConfig(confState);
        if (!hardState.IsEmpty)
        {
            if (hardState.Commit > _log.LastIndex)
            {
                throw new InvalidOperationException($"persisted commit {hardState.Commit} is beyond the last index {_log.LastIndex}: the log lost durable entries");
            }
            // A persisted commit below the snapshot index is possible (commit-only writes are not synced);
            // the snapshot's index, already committed, stands then.
            _log.CommitTo(hardState.Commit);
            Term = hardState.Term;
            Vote = hardState.Vote;
        }
        // A node restarting into an existing group (it has seen a term) does not know whether a leader's lease
        // still counts on its earlier acknowledgement, so it refuses to vote for one election timeout.
        _restartQuietTicks = config.QuietOnStart && hardState.Term > 0 ? (ulong)config.ElectionTicks : 0;
        if (config.Applied > 0)
        {
            // The host applies only committed entries, so all it applied is committed, even when its last
            // commit-index write (not synced: MustSync ignores commit changes) was lost in a crash. Clamping
            // Applied down to the persisted commit would hand those entries out to be applied a second time.
            if (config.Applied > _log.Committed && config.Applied <= _log.LastIndex)
            {
                _log.CommitTo(config.Applied);
            }
            _log.AppliedTo(Math.Min(config.Applied, _log.Committed));
        }
        BecomeFollower(Term, None);
        _previousHardState = CurrentHardState;
        _previousSoftState = CurrentSoftState;
    }

    public ulong Id { get; }

    public ulong Term { get; private set; }

    public ulong Vote { get; private set; }

    public ulong LeaderId { get; private set; }

    public RaftRole Role { get; private set; }

    /// <summary>This node is a learner: it receives the log but neither votes in its own elections nor campaigns.</summary>
    public bool IsLearner { get; private set; }

    /// <summary>The peer a leader transfer is handing leadership to, or <see cref="None"/>.</summary>
    public ulong LeadTransferee { get; private set; }

    public ulong CommitIndex => _log.Committed;

    public ulong AppliedIndex => _log.Applied;

    public ulong LastIndex => _log.LastIndex;

    public ulong FirstIndex => _log.FirstIndex;

    /// <summary>The membership as this node has applied it.</summary>
    public ConfState ConfState => _tracker.Config.ToConfState();

    /// <summary>The leader's per-peer replication state (meaningful on the leader only).</summary>
    public IReadOnlyDictionary<ulong, Progress> Progress => _tracker.Progress;

    /// <summary>Monotonic count of ticks this node has seen.</summary>
    public ulong Ticks => _ticks;

    internal RaftLog Log => _log;

    private HardState CurrentHardState => new(Term, Vote, _log.Committed);

    private SoftState CurrentSoftState => new(LeaderId, Role);

    /// <summary>Created empty and not yet given a configuration by a snapshot.</summary>
    private bool IsUninitialized => _tracker.Config.Voters.Incoming.Count == 0 && _tracker.Config.Learners.Count == 0 && _log.LastIndex == 0;

    /// <summary>Whether this node may campaign: a voter, not waiting for a snapshot to land.</summary>
    private bool Promotable => _tracker.Progress.ContainsKey(Id) && !IsLearner && !_log.HasPendingSnapshot;

    /// <summary>
    /// The host stopped ticking this node for a while (an idle region hibernated) and starts again: time passed
    /// that the tick count does not show, so acknowledgements of messages sent before now prove nothing about
    /// the present. A leader's lease holds again once a quorum acknowledges messages sent after this call (the
    /// usual lease argument, on fresh acknowledgements only); its first heartbeat round, e.g. the one a read
    /// starts, is enough.
    /// </summary>
    public void ResumeAfterPause()
    {
        if (Role == RaftRole.Leader)
        {
            // A tick of its own, so that messages sent from now on carry stamps that no message sent before
            // the pause has. (Only a leader's stamps mean anything; a follower's ticks also time the quiet
            // period after a restart, which an extra tick would shorten.)
            _ticks++;
        }
        _leaseStampFloor = _ticks;
    }

    /// <summary>Advances logical time by one tick: elections and heartbeats are counted in ticks.</summary>
    public void Tick()
    {
        _ticks++;
        if (Role == RaftRole.Leader)
        {
            TickLeader();
        }
        else
        {
            TickElection();
        }
    }

    private void TickElection()
    {
        _electionElapsed++;
        if (Promotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            Campaign(transfer: false);
        }
    }

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _config.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_config.CheckQuorum && !CheckQuorumActive())
            {
                BecomeFollower(Term, None);
                return;
            }
            if (LeadTransferee != None)
            {
                // The transfer did not finish within an election timeout: resume normal service. Its
                // TimeoutNow may still be in flight and would let the target win past our lease, so the
                // lease stays void for another election timeout.
                LeadTransferee = None;
                _leaseVoidUntilTick = _ticks + (ulong)_config.ElectionTicks;
            }
            // A leave-joint proposal refused earlier (e.g. during a transfer) is retried here, and so is
            // handing off leadership after our own removal.
            MaybeAutoLeaveJoint();
            if (IsRemovedOrDemoted)
            {
                HandOffLeadership();
            }
        }
        if (_heartbeatElapsed >= _config.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat(_readIndexQueue.LastSequence);
        }
    }

    /// <summary>Whether a quorum was heard from during the last election timeout; resets the record.</summary>
    private bool CheckQuorumActive()
    {
        var active = _tracker.QuorumActive();
        foreach (var (id, pr) in _tracker.Progress)
        {
            pr.RecentActive = id == Id;
        }
        return active;
    }

    private void ResetRoleState(ulong term)
    {
        if (Term != term)
        {
            Term = term;
            Vote = None;
        }
        LeaderId = None;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        _randomizedElectionTimeout = _config.ElectionTicks + _random.Next(_config.ElectionTicks);
        LeadTransferee = None;
        _tracker.ResetVotes();
        var lastIndex = _log.LastIndex;
        foreach (var (id, pr) in _tracker.Progress)
        {
            var fresh = _tracker.NewProgress(lastIndex + 1, pr.IsLearner);
            if (id == Id)
            {
                fresh.Match = _log.StableLastIndex;
                fresh.RecentActive = true;
            }
            _tracker.Progress[id] = fresh;
        }
        _pendingConfIndex = 0;
        _uncommittedBytes = 0;
        _appendsPending = false;
        ReleaseLastSentBatch();
        _readIndexQueue.Clear();
        _readsAwaitingTermCommit.Clear();
    }

    private void BecomeFollower(ulong term, ulong leader)
    {
        ResetRoleState(term);
        LeaderId = leader;
        Role = RaftRole.Follower;
    }

    private void BecomePreCandidate()
    {
        if (Role == RaftRole.Leader)
        {
            throw new InvalidOperationException("leader cannot become pre-candidate");
        }
        // A pre-campaign changes neither term nor vote: it only asks whether an election could be won.
        _tracker.ResetVotes();
        LeaderId = None;
        Role = RaftRole.PreCandidate;
    }

    private void BecomeCandidate()
    {
        if (Role == RaftRole.Leader)
        {
            throw new InvalidOperationException("leader cannot become candidate");
        }
        ResetRoleState(Term + 1);
        Vote = Id;
        Role = RaftRole.Candidate;
    }

    private void BecomeLeader()
    {
        if (Role == RaftRole.Follower)
        {
            throw new InvalidOperationException("follower cannot become leader without an election");
        }
        ResetRoleState(Term);
        LeaderId = Id;
        Role = RaftRole.Leader;
        _tracker.Progress[Id].BecomeReplicate();
        // Any conf change in the uncommitted tail may still be pending: refuse new ones until it is applied.
        _pendingConfIndex = _log.LastIndex;
        // An empty entry of the new term: committing it commits everything before it (Raft §5.4.2) and is
        // what ReadIndex and lease reads wait for.
        AppendToLog(new Entry(Term, _log.LastIndex + 1, EntryType.Normal, ReadOnlyMemory<byte>.Empty));
        _appendsPending = true;
    }

    private void Send(Message message)
    {
        // Responses and vote requests speak for this node's persisted state (its log, term and vote), so they
        // leave only after the host has made the current Ready durable.
        if (message.IsResponse && message.Type is not (MessageType.HeartbeatResponse or MessageType.ReadIndexResponse)
            || message.Type is MessageType.RequestVote or MessageType.RequestPreVote)
        {
            _messagesAfterPersist.Add(message);
        }
        else
        {
            _messages.Add(message);
        }
    }

    private void RestoreConfig(ConfState state)
    {
        var config = new TrackerConfig();
        var progress = new Dictionary<ulong, Progress>();
        var next = _log.LastIndex + 1;
        foreach (var id in state.Voters)
        {
            config.Voters.Incoming.Add(id);
        }
        foreach (var id in state.VotersOutgoing)
        {
            config.Voters.Outgoing.Add(id);
        }
        foreach (var id in state.Learners)
        {
            config.Learners.Add(id);
        }
        foreach (var id in state.LearnersNext)
        {
            config.LearnersNext.Add(id);
        }
        config.AutoLeave = state.AutoLeave;
        foreach (var id in config.Voters.Ids())
        {
            progress[id] = _tracker.NewProgress(next, isLearner: false);
        }
        foreach (var id in config.Learners)
        {
            progress[id] = _tracker.NewProgress(next, isLearner: true);
        }
        _tracker.Apply(config, progress);
        IsLearner = config.Learners.Contains(Id);
    }

    public override string ToString() => $"node {Id} {Role} term={Term} leader={LeaderId} {_log}";
}
