namespace MultiRaft.Raft;

public sealed partial class RaftNode
{
    /// <summary>Feeds a message from another peer into the state machine.</summary>
    public void Step(Message m)
    {
        if (m.To != Id)
        {
            return;
        }
        if (m.Type is MessageType.RequestVoteResponse or MessageType.RequestPreVoteResponse)
        {
            LearnCommit(m);
        }
        if (!StepTerm(m))
        {
            return;
        }
        switch (m.Type)
        {
            case MessageType.RequestVote:
            case MessageType.RequestPreVote:
                HandleVoteRequest(m);
                return;
        }
        switch (Role)
        {
            case RaftRole.Leader:
                StepLeader(m);
                break;
            case RaftRole.Candidate:
            case RaftRole.PreCandidate:
                StepCandidate(m);
                break;
            default:
                StepFollower(m);
                break;
        }
    }

    /// <summary>Terms are fencing tokens: a higher term makes this node a follower in it (with exceptions
    /// for pre-votes and leader leases); a lower term is answered only where that helps the sender catch up.
    /// Returns whether the message should be processed further.</summary>
    private bool StepTerm(Message m)
    {
        if (m.Term > Term)
        {
            if (m.Type is MessageType.RequestVote or MessageType.RequestPreVote && !m.LeaderTransfer && InLease())
            {
                // We heard from a live leader less than an election timeout ago: a disruptive candidate
                // (partitioned, or removed) gets no vote and does not bump our term (§4.2.3).
                return false;
            }
            switch (m.Type)
            {
                case MessageType.RequestPreVote:
                    // A pre-vote never changes our term.
                    break;
                case MessageType.RequestPreVoteResponse when !m.Reject:
                    // The term in a granted pre-vote response is the one we will campaign in; it is adopted
                    // once we win the pre-vote.
                    break;
                default:
                    var leader = m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.InstallSnapshot ? m.From : None;
                    BecomeFollower(m.Term, leader);
                    break;
            }
            return true;
        }
        if (m.Term < Term)
        {
            if ((_config.CheckQuorum || _config.PreVote) && m.Type is MessageType.Append or MessageType.Heartbeat)
            {
                // A stale leader (e.g. one that was partitioned) learns the newer term from this response and
                // steps down; otherwise, with pre-vote, it could keep its followers from ever electing anyone.
                Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term });
            }
            else if (m.Type == MessageType.RequestPreVote)
            {
                Send(VoteResponse(MessageType.RequestPreVoteResponse, m.From, Term, reject: true));
            }
            return false;
        }
        return true;
    }

    /// <summary>Whether a leader may be counting on us: we heard from one within an election timeout, or we
    /// restarted less than an election timeout ago and cannot tell.</summary>
    private bool InLease() =>
        _config.CheckQuorum && ((LeaderId != None && _electionElapsed < _config.ElectionTicks) || _ticks < _restartQuietTicks);

    private void HandleVoteRequest(Message m)
    {
        var isPreVote = m.Type == MessageType.RequestPreVote;
        // We may vote for m.From if we already did in this term, or have not voted and know no leader; a
        // pre-vote for a future term may be granted regardless (it binds nothing).
        var canVote = Vote == m.From
            || (Vote == None && LeaderId == None)
            || (isPreVote && m.Term > Term);
        var responseType = isPreVote ? MessageType.RequestPreVoteResponse : MessageType.RequestVoteResponse;
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            // The response carries the requested term, not ours: for a pre-vote ours may be lower, and the
            // candidate must be able to recognise the answer.
            Send(VoteResponse(responseType, m.From, m.Term, reject: false));
            if (!isPreVote)
            {
                _electionElapsed = 0;
                Vote = m.From;
            }
        }
        else
        {
            Send(VoteResponse(responseType, m.From, Term, reject: true));
        }
    }

    /// <summary>A vote answer also tells the candidate our commit index and the term there, see <see cref="LearnCommit"/>.</summary>
    private Message VoteResponse(MessageType type, ulong to, ulong term, bool reject) => new()
    {
        Type = type,
        To = to,
        From = Id,
        Term = term,
        Reject = reject,
        Commit = _log.Committed,
        LogTerm = _log.TermOrZero(_log.Committed),
    };

    /// <summary>
    /// Learns that entries are committed from a peer that knows it. Config changes take effect when applied,
    /// so a voter that holds a committed membership change without knowing it is committed can still count
    /// a peer that is no longer a member (a demoted or removed ex-leader) in its quorum, and that peer may
    /// refuse it for having a shorter log: no election could ever succeed. Commitment is a fact about the
    /// group, and if our entry at the peer's commit index has the same term, log matching makes our prefix
    /// identical to its committed one, so we may commit it too and apply the change.
    /// </summary>
    private void LearnCommit(Message m)
    {
        if (m.Commit > _log.Committed && _log.MatchTerm(m.Commit, m.LogTerm))
        {
            _log.CommitTo(m.Commit);
        }
    }

    /// <summary>Starts an election (or a pre-election first, with PreVote). A transfer skips the pre-vote
    /// and is granted by voters that still see a live leader, since that leader asked for it.</summary>
    /// <remarks>After a won pre-vote the election itself runs with <paramref name="preVoteWon"/>: it skips a
    /// second pre-vote but is not a transfer, so voters that hear from a live leader still refuse it.</remarks>
    private void Campaign(bool transfer, bool preVoteWon = false)
    {
        if (!Promotable)
        {
            return;
        }
        if (HasUnappliedConfChange())
        {
            // The committed configuration may differ from the one we would count votes with.
            return;
        }
        var preVote = _config.PreVote && !transfer && !preVoteWon;
        ulong term;
        MessageType type;
        if (preVote)
        {
            BecomePreCandidate();
            type = MessageType.RequestPreVote;
            term = Term + 1;
        }
        else
        {
            BecomeCandidate();
            type = MessageType.RequestVote;
            term = Term;
        }
        _tracker.RecordVote(Id, true);
        if (_tracker.TallyVotes() == Quorum.VoteResult.Won)
        {
            // A single-voter group wins at once.
            if (preVote)
            {
                Campaign(transfer: false, preVoteWon: true);
            }
            else
            {
                BecomeLeader();
            }
            return;
        }
        var lastIndex = _log.LastIndex;
        var lastTerm = _log.LastTerm;
        foreach (var id in _tracker.Config.Voters.Ids())
        {
            if (id == Id)
            {
                continue;
            }
            Send(new Message { Type = type, To = id, From = Id, Term = term, Index = lastIndex, LogTerm = lastTerm, LeaderTransfer = transfer });
        }
    }

    private bool HasUnappliedConfChange()
    {
        if (_log.Applied >= _log.Committed)
        {
            return false;
        }
        var found = false;
        var lo = _log.Applied + 1;
        var entries = new List<Entry>();
        if (_log.Slice(Math.Max(lo, _log.FirstIndex), _log.Committed + 1, long.MaxValue, entries) != LogRead.Ok)
        {
            return false;
        }
        foreach (var entry in entries)
        {
            if (entry.Type == EntryType.ConfChange)
            {
                found = true;
                break;
            }
        }
        return found;
    }

    private void StepCandidate(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                BecomeFollower(m.Term, m.From);
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                BecomeFollower(m.Term, m.From);
                HandleHeartbeat(m);
                break;
            case MessageType.InstallSnapshot:
                BecomeFollower(m.Term, m.From);
                HandleSnapshot(m);
                break;
            case MessageType.RequestVoteResponse when Role == RaftRole.Candidate:
            case MessageType.RequestPreVoteResponse when Role == RaftRole.PreCandidate:
                _tracker.RecordVote(m.From, !m.Reject);
                switch (_tracker.TallyVotes())
                {
                    case Quorum.VoteResult.Won:
                        if (Role == RaftRole.PreCandidate)
                        {
                            // Not transfer: true, which marked the vote requests LeaderTransfer and so made voters
                            // grant them despite a live leader's lease (a voter may have granted the pre-vote and
                            // acked a leader since), breaking lease reads (found by LinearizableReadTests).
                            Campaign(transfer: false, preVoteWon: true);
                        }
                        else
                        {
                            BecomeLeader();
                        }
                        break;
                    case Quorum.VoteResult.Lost:
                        // Any higher term was already adopted by StepTerm; stay in ours.
                        BecomeFollower(Term, None);
                        break;
                }
                break;
            case MessageType.TimeoutNow:
                // Not a follower: a stale transfer request; ignore.
                break;
        }
    }

    private void StepFollower(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                _electionElapsed = 0;
                LeaderId = m.From;
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                _electionElapsed = 0;
                LeaderId = m.From;
                HandleHeartbeat(m);
                break;
            case MessageType.InstallSnapshot:
                _electionElapsed = 0;
                LeaderId = m.From;
                HandleSnapshot(m);
                break;
            case MessageType.TransferLeader:
                if (LeaderId != None)
                {
                    Send(new Message { Type = MessageType.TransferLeader, To = LeaderId, From = Id, Term = Term, Index = m.Index });
                }
                break;
            case MessageType.TimeoutNow:
                // The leader asks us to take over now; we campaign even as a learner only if promotable.
                Campaign(transfer: true);
                break;
            case MessageType.ReadIndexResponse:
                _readStates.Add(new ReadState(m.Index, m.Context));
                break;
        }
    }

    private void StepLeader(Message m)
    {
        if (!_tracker.Progress.TryGetValue(m.From, out var pr))
        {
            // Not a member (removed, or never added): nothing it says concerns this group's leader.
            return;
        }
        switch (m.Type)
        {
            case MessageType.AppendResponse:
                pr.RecentActive = true;
                pr.AckedTickStamp = Math.Max(pr.AckedTickStamp, m.TickStamp);
                HandleAppendResponse(m, pr);
                break;
            case MessageType.HeartbeatResponse:
                pr.RecentActive = true;
                pr.ProbeSent = false;
                pr.AckedTickStamp = Math.Max(pr.AckedTickStamp, m.TickStamp);
                if (pr.State == Tracker.ProgressState.Replicate && pr.Inflights.Full)
                {
                    // The follower is alive but our window is full: the appends in it may all have been
                    // lost. Free one slot so the next append goes out; if there is a gap the follower
                    // rejects it and we fall back to probing instead of stalling forever.
                    pr.Inflights.FreeFirstOne();
                }
                if (pr.Match < _log.LastIndex)
                {
                    // Even when everything was already sent (Next is past the end), send: an append that
                    // was lost leaves a gap that only a (possibly empty) append can reveal.
                    SendAppend(m.From, pr, sendIfEmpty: true);
                }
                if (m.Context != 0)
                {
                    AckReadRound(m.Context, m.From);
                }
                break;
            case MessageType.TransferLeader:
                StartTransfer(m.Index);
                break;
            case MessageType.ReadIndex:
                StartRead(new Reads.PendingRead(m.From, m.Context));
                break;
        }
    }
}
