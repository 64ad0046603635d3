using MultiRaft.Raft.Membership;
using MultiRaft.Raft.Quorum;
using MultiRaft.Raft.Reads;
using MultiRaft.Raft.Tracker;

namespace MultiRaft.Raft;

public sealed partial class RaftNode
{
    /// <summary>Starts an election now instead of waiting for the timeout (bootstrap, tests).</summary>
    public void Campaign()
    {
        if (Role != RaftRole.Leader)
        {
            Campaign(transfer: false);
        }
    }

    /// <summary>Proposes a command. Only the leader accepts proposals; the result says why not otherwise.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> data) => ProposeEntry(EntryType.Normal, data);

    private ProposeResult ProposeEntry(EntryType type, ReadOnlyMemory<byte> data)
    {
        var refusal = CheckCanPropose();
        if (refusal != ProposalStatus.Accepted)
        {
            return ProposeResult.Rejected(refusal);
        }
        if (_config.MaxUncommittedBytes > 0 && _uncommittedBytes > 0 && _uncommittedBytes + data.Length > _config.MaxUncommittedBytes)
        {
            return ProposeResult.Rejected(ProposalStatus.Busy);
        }
        var index = _log.LastIndex + 1;
        AppendToLog(new Entry(Term, index, type, data));
        _appendsPending = true;
        return new ProposeResult(ProposalStatus.Accepted, index, Term);
    }

    private ProposalStatus CheckCanPropose()
    {
        if (Role != RaftRole.Leader)
        {
            return ProposalStatus.NotLeader;
        }
        if (!_tracker.Progress.ContainsKey(Id))
        {
            return ProposalStatus.NotMember;
        }
        if (LeadTransferee != None)
        {
            return ProposalStatus.TransferInProgress;
        }
        return IsLearner ? ProposalStatus.NotMember : ProposalStatus.Accepted;
    }

    /// <summary>Proposes a membership change. One change may be pending at a time: until the previous one is
    /// applied, and until a joint configuration is left, further changes are refused.</summary>
    public ProposeResult ProposeConfChange(ConfChange change)
    {
        var refusal = CheckCanPropose();
        if (refusal != ProposalStatus.Accepted)
        {
            return ProposeResult.Rejected(refusal);
        }
        if (_pendingConfIndex > _log.Applied)
        {
            return ProposeResult.Rejected(ProposalStatus.ConfChangePending);
        }
        try
        {
            // Dry run against the applied configuration: a change that cannot apply is refused now rather
            // than committed as a no-op.
            Compute(change);
        }
        catch (ConfChangeException)
        {
            return ProposeResult.Rejected(ProposalStatus.InvalidConfChange);
        }
        var result = ProposeEntry(EntryType.ConfChange, change.Encode());
        if (result.IsAccepted)
        {
            _pendingConfIndex = result.Index;
        }
        return result;
    }

    /// <summary>Applies a committed membership change (the host calls this when it applies the entry) and
    /// returns the new configuration, which the host persists with the applied index. A change that cannot
    /// apply throws <see cref="ConfChangeException"/> on every node alike and changes nothing.</summary>
    public ConfState ApplyConfChange(ConfChange change)
    {
        var (config, progress) = Compute(change);
        SwitchToConfig(config, progress);
        return ConfState;
    }

    private (TrackerConfig, Dictionary<ulong, Progress>) Compute(ConfChange change)
    {
        var changer = new Changer(_tracker, _log.LastIndex);
        if (change.IsLeaveJoint)
        {
            return changer.LeaveJoint();
        }
        var (useJoint, autoLeave) = change.JointMode();
        return useJoint ? changer.EnterJoint(autoLeave, change.Changes) : changer.Simple(change.Changes);
    }

    private void SwitchToConfig(TrackerConfig config, Dictionary<ulong, Progress> progress)
    {
        foreach (var (id, pr) in progress)
        {
            pr.IsLearner = config.Learners.Contains(id);
        }
        _tracker.Apply(config, progress);
        IsLearner = config.Learners.Contains(Id);
        if (Role is RaftRole.Candidate or RaftRole.PreCandidate && !config.Voters.Contains(Id))
        {
            // No longer a voter: the election we started cannot make us leader of this configuration.
            BecomeFollower(Term, None);
        }
        if (Role != RaftRole.Leader)
        {
            return;
        }
        // The quorum may have shrunk, so more may be committed; new peers need their first append.
        if (MaybeCommit())
        {
            BroadcastAppend();
        }
        else
        {
            foreach (var (id, pr) in progress)
            {
                if (id != Id)
                {
                    SendAppend(id, pr, sendIfEmpty: false);
                }
            }
        }
        if (LeadTransferee != None && !config.Voters.Contains(LeadTransferee))
        {
            LeadTransferee = None;
        }
        if (IsRemovedOrDemoted)
        {
            HandOffLeadership();
        }
    }

    private bool IsRemovedOrDemoted => !_tracker.Progress.ContainsKey(Id) || IsLearner;

    /// <summary>
    /// A leader whose own removal (or demotion) has applied must not simply step down: the remaining voters
    /// may not know yet that the change committed and so still need our vote in their joint quorum, which a
    /// non-member never gives a candidate with a shorter log. It keeps leading instead — replicating and
    /// heartbeating the commit index, refusing proposals — and transfers leadership to the most up-to-date
    /// remaining voter, retrying after each election timeout until one takes over.
    /// </summary>
    private void HandOffLeadership()
    {
        if (LeadTransferee != None)
        {
            return;
        }
        var best = None;
        ulong bestMatch = 0;
        foreach (var id in _tracker.Config.Voters.Ids())
        {
            var match = _tracker.Progress[id].Match;
            if (id != Id && (best == None || match > bestMatch))
            {
                best = id;
                bestMatch = match;
            }
        }
        if (best != None)
        {
            StartTransfer(best);
        }
    }

    /// <summary>A leader in a joint configuration marked auto-leave proposes leaving it once it has applied it.</summary>
    private void MaybeAutoLeaveJoint()
    {
        if (Role == RaftRole.Leader && _tracker.Config.AutoLeave && _log.Applied >= _pendingConfIndex)
        {
            ProposeConfChange(ConfChange.LeaveJoint);
        }
    }

    /// <summary>Hands leadership to <paramref name="transferee"/>: catch it up, then tell it to campaign at
    /// once. Proposals are refused meanwhile; the transfer aborts after an election timeout. On a follower
    /// the request is forwarded to the leader.</summary>
    public ProposalStatus TransferLeader(ulong transferee)
    {
        if (Role != RaftRole.Leader)
        {
            if (LeaderId == None)
            {
                return ProposalStatus.NotLeader;
            }
            Send(new Message { Type = MessageType.TransferLeader, To = LeaderId, From = Id, Term = Term, Index = transferee });
            return ProposalStatus.Accepted;
        }
        return StartTransfer(transferee);
    }

    private ProposalStatus StartTransfer(ulong transferee)
    {
        if (!_tracker.Progress.TryGetValue(transferee, out var pr) || pr.IsLearner || !_tracker.IsVoter(transferee))
        {
            return ProposalStatus.NotMember;
        }
        if (transferee == Id || LeadTransferee == transferee)
        {
            return ProposalStatus.Accepted;
        }
        // The transfer must finish within one election timeout, counted from now.
        _electionElapsed = 0;
        LeadTransferee = transferee;
        if (pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(transferee);
        }
        else
        {
            SendAppend(transferee, pr, sendIfEmpty: true);
        }
        return ProposalStatus.Accepted;
    }

    private void SendTimeoutNow(ulong to) =>
        Send(new Message { Type = MessageType.TimeoutNow, To = to, From = Id, Term = Term });

    /// <summary>
    /// Requests a linearizable read. When it is safe, a <see cref="ReadState"/> with this request id appears
    /// in a later Ready: the read may be served once the state machine has applied its index. A follower
    /// forwards the request to its leader.
    /// </summary>
    public ProposalStatus ReadIndex(ulong requestId)
    {
        if (Role != RaftRole.Leader)
        {
            if (LeaderId == None)
            {
                return ProposalStatus.NotLeader;
            }
            Send(new Message { Type = MessageType.ReadIndex, To = LeaderId, From = Id, Term = Term, Context = requestId });
            return ProposalStatus.Accepted;
        }
        StartRead(new PendingRead(Id, requestId));
        return ProposalStatus.Accepted;
    }

    private void StartRead(PendingRead read)
    {
        if (_log.TermOrZero(_log.Committed) != Term)
        {
            // A new leader does not know the latest commit index until an entry of its own term commits;
            // answering earlier could return an index behind a write another leader acknowledged.
            _readsAwaitingTermCommit.Add(read);
            return;
        }
        if (_tracker.IsSoleVoter(Id) || HasValidLease)
        {
            RespondRead(read, _log.Committed);
            return;
        }
        // Confirm we still lead: a quorum must answer a heartbeat sent after the read arrived.
        var round = _readIndexQueue.Start(_log.Committed, read);
        round.Acks.Add(Id);
        BroadcastHeartbeat(round.Sequence);
    }

    private void AckReadRound(ulong sequence, ulong from)
    {
        var round = _readIndexQueue.Ack(sequence, from);
        if (round is null || _tracker.TallyAcks(round.Acks) != VoteResult.Won)
        {
            return;
        }
        foreach (var released in _readIndexQueue.ReleaseThrough(sequence))
        {
            foreach (var read in released.Reads)
            {
                RespondRead(read, released.Index);
            }
        }
    }

    private void RespondRead(PendingRead read, ulong index)
    {
        if (read.From == Id)
        {
            _readStates.Add(new ReadState(index, read.RequestId));
        }
        else
        {
            Send(new Message { Type = MessageType.ReadIndexResponse, To = read.From, From = Id, Term = Term, Index = index, Context = read.RequestId });
        }
    }

    /// <summary>
    /// Whether this leader may answer reads from its own state without a heartbeat round. It holds when a
    /// quorum acknowledged a message this leader sent less than <see cref="RaftConfig.LeaseTicks"/> ticks ago.
    /// Each of those voters, with CheckQuorum, refuses to vote for anyone else for an election timeout
    /// (ElectionTicks of its own ticks) after receiving that message, so no other leader can exist yet.
    /// Clock-drift assumption: over one lease, no voter's ticks run faster than the leader's by more than a
    /// factor of ElectionTicks / LeaseTicks (10/9 by default, i.e. about 11% drift). A voter that restarts
    /// refuses votes for an election timeout, since it forgot when it last acknowledged a leader. The lease is
    /// void while a leader transfer is in progress (the target campaigns at once, bypassing the voters' wait)
    /// and for an election timeout after one aborts, until an entry of this leader's term commits, and after a
    /// pause in ticks until acknowledgements of messages sent since then (<see cref="ResumeAfterPause"/>).
    /// Assumed: a TimeoutNow is not delayed in the network by more than that election timeout.
    /// </summary>
    public bool HasValidLease => LeaseTicksLeft > 0;

    /// <summary>How many more ticks the lease of <see cref="HasValidLease"/> holds from the current tick (0: no
    /// lease). A host that serves reads outside its Raft loop converts this into a deadline on its own clock;
    /// the tick at which the lease ends is fixed once a quorum acknowledged, so the deadline only ever moves
    /// with new acknowledgements.</summary>
    public int LeaseTicksLeft
    {
        get
        {
            if (Role != RaftRole.Leader || !_config.LeaseRead || !_config.CheckQuorum || LeadTransferee != None || _ticks < _leaseVoidUntilTick)
            {
                return 0;
            }
            if (_log.TermOrZero(_log.Committed) != Term)
            {
                return 0;
            }
            if (!_tracker.Progress.TryGetValue(Id, out var self))
            {
                return 0;
            }
            self.AckedTickStamp = _ticks;
            var stamp = _tracker.QuorumTickStamp();
            var end = stamp + (ulong)_config.LeaseTicks;
            return stamp > 0 && stamp >= _leaseStampFloor && _ticks < end ? (int)(end - _ticks) : 0;
        }
    }
}
