namespace MultiRaft.Raft.Tracker;

/// <summary>How the leader is currently replicating to a follower.</summary>
public enum ProgressState : byte
{
    /// <summary>Matching point unknown: send one append per heartbeat interval until a response.</summary>
    Probe,
    /// <summary>Matching point known: stream appends optimistically, up to the inflight window.</summary>
    Replicate,
    /// <summary>The follower needs a snapshot; appends pause until it is reported done.</summary>
    Snapshot,
}

/// <summary>The leader's view of one follower (or learner): what it matches and what to send it next.</summary>
public sealed class Progress
{
    public Progress(ulong next, int maxInflight, long maxInflightBytes, bool isLearner)
    {
        Next = next;
        IsLearner = isLearner;
        Inflights = new Inflights(maxInflight, maxInflightBytes);
    }

    /// <summary>The highest index known to be stored on the peer.</summary>
    public ulong Match { get; set; }

    /// <summary>The next index to send.</summary>
    public ulong Next { get; set; }

    public ProgressState State { get; private set; } = ProgressState.Probe;

    /// <summary>In snapshot state: the index of the snapshot being sent.</summary>
    public ulong PendingSnapshot { get; set; }

    /// <summary>Heard from since the last CheckQuorum round.</summary>
    public bool RecentActive { get; set; }

    /// <summary>In probe state: an append is outstanding, so wait (for a response or the next heartbeat).</summary>
    public bool ProbeSent { get; set; }

    /// <summary>The newest leader tick stamp this peer has echoed back: it accepted our leadership no earlier than that.</summary>
    public ulong AckedTickStamp { get; set; }

    public bool IsLearner { get; set; }

    public Inflights Inflights { get; }

    public void BecomeProbe()
    {
        // Coming back from a snapshot, resume right after it (or after Match if that is further).
        var next = State == ProgressState.Snapshot ? Math.Max(Match + 1, PendingSnapshot + 1) : Match + 1;
        ResetState(ProgressState.Probe);
        Next = next;
    }

    public void BecomeReplicate()
    {
        ResetState(ProgressState.Replicate);
        Next = Match + 1;
    }

    public void BecomeSnapshot(ulong snapshotIndex)
    {
        ResetState(ProgressState.Snapshot);
        PendingSnapshot = snapshotIndex;
    }

    private void ResetState(ProgressState state)
    {
        ProbeSent = false;
        PendingSnapshot = 0;
        State = state;
        Inflights.Reset();
    }

    /// <summary>An acknowledgement up to <paramref name="index"/> arrived; false if it told us nothing new.</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }
        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>Records that entries through <paramref name="lastIndex"/> were sent (<paramref name="count"/>
    /// of them, <paramref name="bytes"/> in all).</summary>
    public void SentEntries(int count, ulong lastIndex, long bytes)
    {
        switch (State)
        {
            case ProgressState.Replicate:
                if (count > 0)
                {
                    Next = lastIndex + 1;
                    Inflights.Add(lastIndex, bytes);
                }
                break;
            case ProgressState.Probe:
                ProbeSent = true;
                break;
            default:
                throw new InvalidOperationException($"sending entries in state {State}");
        }
    }

    /// <summary>The follower rejected an append at <paramref name="rejected"/>; <paramref name="matchHint"/> is
    /// the highest index that may still match. Returns false if the rejection is stale.</summary>
    public bool MaybeDecreaseTo(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Replicate)
        {
            // Stale unless it rejects something past what we know matches.
            if (rejected <= Match)
            {
                return false;
            }
            Next = Match + 1;
            return true;
        }
        // In probe state only the response to the last probe (Next - 1) counts.
        if (Next - 1 != rejected)
        {
            return false;
        }
        Next = Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.Full,
        _ => true,
    };

    public override string ToString() =>
        $"{State} match={Match} next={Next}" + (IsLearner ? " learner" : "") + (IsPaused ? " paused" : "")
        + (State == ProgressState.Snapshot ? $" pendingSnap={PendingSnapshot}" : "") + (RecentActive ? "" : " inactive");
}
