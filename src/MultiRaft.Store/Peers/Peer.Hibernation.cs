using MultiRaft.Raft;

namespace MultiRaft.Store.Peers;

/// <summary>
/// Hibernation: a region with no traffic stops ticking, so ten thousand idle regions cost next to nothing.
/// A leader whose log is fully committed, applied and replicated to every active follower, with nothing
/// waiting, for <see cref="StoreOptions.HibernateAfterTicks"/> ticks, flags its next heartbeat and stops; a
/// follower that gets the flagged heartbeat and has caught up stops too. Any input wakes a peer: a woken
/// leader voids its lease (the ticks it skipped were real time), a woken follower resumes its election
/// timer, so a leader that died while its region slept is replaced once a request arrives. A follower that
/// is down does not count: it cannot keep a region awake. Nor does a leader sleep while it serves reads: asleep
/// it holds no lease, so each read would wait for a heartbeat round, and every wake voids the lease a while.
/// </summary>
internal sealed partial class Peer
{
    private volatile bool _hibernating;
    private volatile bool _woken;
    private int _idleTicks;
    private bool _sentHibernateNotice;
    private bool _followLeaderToSleep;
    private long _readsSeen;

    public bool IsHibernating => _hibernating;

    /// <summary>Set while this leader's heartbeats should tell followers the region sleeps.</summary>
    public bool WantsToHibernate { get; private set; }

    /// <summary>Wakes a hibernating peer (any thread): it ticks again from the next tick on.</summary>
    public void Wake()
    {
        if (_hibernating)
        {
            _hibernating = false;
            _woken = true;
            TrySchedule();
        }
    }

    /// <summary>The router flagged one of this leader's heartbeats.</summary>
    public void HibernateNoticeSent() => _sentHibernateNotice = true;

    private void ResumeIfWoken()
    {
        if (_woken)
        {
            _woken = false;
            // The span asleep is not ticked through: the peer resumes now, with its lease voided instead.
            _tickSeen = _clock.Now;
            _idleTicks = 0;
            WantsToHibernate = false;
            Node.ResumeAfterPause();
        }
    }

    private void OnHibernateNotice(Message heartbeat) =>
        _followLeaderToSleep = Node.Role == RaftRole.Follower && Node.LeaderId == heartbeat.From;

    /// <summary>After each round: decide whether this peer goes to sleep.</summary>
    public void UpdateHibernation(int ticks, int hibernateAfterTicks)
    {
        UpdateHealth(ticks);
        if (hibernateAfterTicks <= 0 || _hibernating)
        {
            return;
        }
        if (_followLeaderToSleep)
        {
            _followLeaderToSleep = false;
            if (Node.Role == RaftRole.Follower && AppliedIndex == Node.CommitIndex && _awaitingIndex.Count == 0 && _awaitingApply.Count == 0)
            {
                _hibernating = true;
            }
            return;
        }
        var servedReads = ServedReadsSinceLastRound();
        if (servedReads || !IsIdleLeader())
        {
            _idleTicks = 0;
            WantsToHibernate = false;
            _sentHibernateNotice = false;
            return;
        }
        if (_sentHibernateNotice)
        {
            _sentHibernateNotice = false;
            WantsToHibernate = false;
            _hibernating = true;
            return;
        }
        _idleTicks += ticks;
        WantsToHibernate = _idleTicks >= hibernateAfterTicks;
    }

    /// <summary>Whether reads were served here since the previous call (reads leave the log as it was, so
    /// <see cref="IsIdleLeader"/> cannot see them).</summary>
    private bool ServedReadsSinceLastRound()
    {
        var reads = Interlocked.Read(ref _reads);
        if (reads == _readsSeen)
        {
            return false;
        }
        _readsSeen = reads;
        return true;
    }

    private bool IsIdleLeader()
    {
        if (Node.Role != RaftRole.Leader || _proposals.Count > 0 || _awaitingIndex.Count > 0 || _awaitingApply.Count > 0
            || Node.LeadTransferee != RaftNode.None || Node.ConfState.IsJoint)
        {
            return false;
        }
        var last = Node.LastIndex;
        if (Node.CommitIndex != last || AppliedIndex != last)
        {
            return false;
        }
        foreach (var (id, progress) in Node.Progress)
        {
            if (id != PeerId && progress.RecentActive && progress.Match != last)
            {
                return false;
            }
        }
        return true;
    }
}
