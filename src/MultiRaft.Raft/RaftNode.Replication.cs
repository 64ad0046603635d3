using MultiRaft.Raft.Tracker;

namespace MultiRaft.Raft;

public sealed partial class RaftNode
{
    private EntryBatch? _lastSentBatch;

    private void AppendToLog(Entry entry)
    {
        _log.Append([entry]);
        _uncommittedBytes += entry.Data.Length;
    }

    /// <summary>Sends appends to every follower that is not paused (called once per Ready, so that many
    /// proposals share one message per follower).</summary>
    private void BroadcastAppend()
    {
        _appendsPending = false;
        foreach (var (id, pr) in _tracker.Progress)
        {
            if (id != Id)
            {
                SendAppend(id, pr, sendIfEmpty: true);
            }
        }
    }

    /// <summary>Sends the entries <paramref name="pr"/> is missing, or a snapshot if they are compacted.
    /// Returns whether anything was sent.</summary>
    private bool SendAppend(ulong to, Progress pr, bool sendIfEmpty)
    {
        if (pr.IsPaused)
        {
            return false;
        }
        var prevIndex = pr.Next - 1;
        var termRead = _log.Term(prevIndex, out var prevTerm);
        var entriesRead = _log.EntriesFrom(pr.Next, _config.MaxSizePerMessage, out var entries);
        if (termRead != LogRead.Ok || entriesRead != LogRead.Ok)
        {
            return SendSnapshot(to, pr);
        }
        if (entries.Count == 0 && !sendIfEmpty)
        {
            return false;
        }
        var batch = ShareableBatch(entries);
        var count = batch?.Count ?? 0;
        var lastIndex = prevIndex + (ulong)count;
        long bytes = 0;
        foreach (var entry in entries)
        {
            bytes += entry.SizeBytes;
        }
        Send(new Message
        {
            Type = MessageType.Append,
            To = to,
            From = Id,
            Term = Term,
            Index = prevIndex,
            LogTerm = prevTerm,
            Batch = batch?.AddReference(),
            // Never tell a follower to commit beyond what this message leaves it holding.
            Commit = Math.Min(_log.Committed, lastIndex),
            TickStamp = _ticks,
        });
        pr.SentEntries(count, lastIndex, bytes);
        return true;
    }

    /// <summary>
    /// The entries as a batch for a message. Followers that are in step get the same entries in the same
    /// Ready, so the batch built for one is reused for the next: messages never modify their entries, and a
    /// leader never rewrites its own log, so equal first index, count and last term mean equal entries. The
    /// leader holds one reference to its latest batch until the next Ready.
    /// </summary>
    private EntryBatch? ShareableBatch(List<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return null;
        }
        var last = _lastSentBatch;
        if (last is not null && last.Count == entries.Count && last.First.Index == entries[0].Index && last.Last.Term == entries[^1].Term)
        {
            return last;
        }
        ReleaseLastSentBatch();
        _lastSentBatch = new EntryBatch(entries);
        return _lastSentBatch;
    }

    private void ReleaseLastSentBatch()
    {
        _lastSentBatch?.Release();
        _lastSentBatch = null;
    }

    private bool SendSnapshot(ulong to, Progress pr)
    {
        if (!pr.RecentActive)
        {
            // Do not spend a snapshot on a peer that may be down.
            return false;
        }
        var snapshot = _log.Snapshot();
        if (snapshot is null || snapshot.IsEmpty)
        {
            // The host is still producing one; try again on the next heartbeat response.
            return false;
        }
        Send(new Message { Type = MessageType.InstallSnapshot, To = to, From = Id, Term = Term, Snapshot = snapshot });
        pr.BecomeSnapshot(snapshot.Metadata.Index);
        return true;
    }

    private void BroadcastHeartbeat(ulong readRound)
    {
        foreach (var (id, pr) in _tracker.Progress)
        {
            if (id == Id)
            {
                continue;
            }
            Send(new Message
            {
                Type = MessageType.Heartbeat,
                To = id,
                From = Id,
                Term = Term,
                // A follower may not hold everything we committed; never let it commit what it lacks.
                Commit = Math.Min(pr.Match, _log.Committed),
                Context = readRound,
                TickStamp = _ticks,
            });
        }
    }

    private void HandleAppend(Message m)
    {
        if (m.Index < _log.Committed)
        {
            // Everything up to our commit index is already settled; tell the leader where we are.
            Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term, Index = _log.Committed, TickStamp = m.TickStamp });
            return;
        }
        if (m.Index == 0 && IsUninitialized)
        {
            // A peer created empty (to be added to the group) knows no configuration. Replaying the log from
            // the start would apply its conf changes to an empty configuration, and a node that believes it
            // is the only voter can elect itself. It takes a snapshot first, which carries the configuration.
            Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term, Index = 0, Reject = true, TickStamp = m.TickStamp });
            return;
        }
        var lastNew = _log.MaybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries.Span);
        if (lastNew is { } last)
        {
            Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term, Index = last, TickStamp = m.TickStamp });
            return;
        }
        // Consistency check failed. Hint the leader at the last index that could match: the largest index
        // ≤ min(m.Index, our last) whose term is ≤ m.LogTerm (fast backtracking, one round trip per term).
        var (hintIndex, hintTerm) = _log.FindConflictByTerm(Math.Min(m.Index, _log.LastIndex), m.LogTerm);
        Send(new Message
        {
            Type = MessageType.AppendResponse,
            To = m.From,
            From = Id,
            Term = Term,
            Index = m.Index,
            Reject = true,
            RejectHint = hintIndex,
            LogTerm = hintTerm,
            TickStamp = m.TickStamp,
        });
    }

    private void HandleHeartbeat(Message m)
    {
        _log.CommitTo(m.Commit);
        Send(new Message { Type = MessageType.HeartbeatResponse, To = m.From, From = Id, Term = Term, Context = m.Context, TickStamp = m.TickStamp });
    }

    private void HandleSnapshot(Message m)
    {
        var snapshot = m.Snapshot ?? Snapshot.Empty;
        if (RestoreSnapshot(snapshot))
        {
            Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term, Index = _log.LastIndex });
        }
        else
        {
            Send(new Message { Type = MessageType.AppendResponse, To = m.From, From = Id, Term = Term, Index = _log.Committed });
        }
    }

    /// <summary>Installs a snapshot from the leader unless our log already covers it. Returns whether the
    /// log was replaced.</summary>
    private bool RestoreSnapshot(Snapshot snapshot)
    {
        var meta = snapshot.Metadata;
        if (snapshot.IsEmpty || meta.Index <= _log.Committed)
        {
            return false;
        }
        if (_log.MatchTerm(meta.Index, meta.Term))
        {
            // Our log already has the snapshot's last entry: just fast-forward the commit index.
            _log.CommitTo(meta.Index);
            return false;
        }
        _log.Restore(snapshot);
        // The snapshot's configuration replaces ours: it is the configuration as of its index. It may not
        // include us yet (a new peer gets a snapshot older than its own addition); the entries after it do.
        RestoreConfig(meta.ConfState);
        return true;
    }

    private void HandleAppendResponse(Message m, Progress pr)
    {
        if (m.Reject && m.Index == 0)
        {
            // Only a peer that has never been initialized rejects the very start of the log (term 0 at index 0
            // matches everywhere else): it must learn the configuration from a snapshot. Without a snapshot
            // to send, it waits for the next heartbeat round rather than ping-ponging probes.
            pr.BecomeProbe();
            if (!SendSnapshot(m.From, pr))
            {
                pr.ProbeSent = true;
            }
            return;
        }
        if (m.Reject)
        {
            var nextProbe = m.RejectHint;
            if (m.LogTerm > 0)
            {
                // Skip every entry of ours whose term is above the follower's term at its hint.
                nextProbe = _log.FindConflictByTerm(m.RejectHint, m.LogTerm).Index;
            }
            if (pr.MaybeDecreaseTo(m.Index, nextProbe))
            {
                if (pr.State == ProgressState.Replicate)
                {
                    pr.BecomeProbe();
                }
                SendAppend(m.From, pr, sendIfEmpty: true);
            }
            return;
        }
        var wasPaused = pr.IsPaused;
        if (!pr.MaybeUpdate(m.Index))
        {
            return;
        }
        switch (pr.State)
        {
            case ProgressState.Probe:
                pr.BecomeReplicate();
                break;
            case ProgressState.Snapshot when pr.Match + 1 >= _log.FirstIndex:
                // The snapshot (or a catch-up that overtook it) landed: back to streaming.
                pr.BecomeProbe();
                pr.BecomeReplicate();
                break;
            case ProgressState.Replicate:
                pr.Inflights.FreeLE(m.Index);
                break;
        }
        if (MaybeCommit())
        {
            BroadcastAppend();
        }
        else if (wasPaused)
        {
            SendAppend(m.From, pr, sendIfEmpty: false);
        }
        // Keep the pipe full while there is more to send and room in the window.
        while (SendAppend(m.From, pr, sendIfEmpty: false))
        {
        }
        if (m.From == LeadTransferee && pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(m.From);
        }
    }

    /// <summary>Advances the commit index to what a quorum holds, if that entry is of our term.</summary>
    private bool MaybeCommit()
    {
        if (!_log.MaybeCommit(_tracker.Committed(), Term))
        {
            return false;
        }
        ReleaseReadsAwaitingTermCommit();
        return true;
    }

    private void ReleaseReadsAwaitingTermCommit()
    {
        if (_log.TermOrZero(_log.Committed) == Term && _readsAwaitingTermCommit.Count > 0)
        {
            // ReadIndex requests made before our first entry committed can be served now.
            var waiting = _readsAwaitingTermCommit.ToArray();
            _readsAwaitingTermCommit.Clear();
            foreach (var read in waiting)
            {
                StartRead(read);
            }
        }
    }

    /// <summary>The host could not reach <paramref name="peer"/>: stop streaming to it and fall back to probing.</summary>
    public void ReportUnreachable(ulong peer)
    {
        if (Role == RaftRole.Leader && _tracker.Progress.TryGetValue(peer, out var pr) && pr.State == ProgressState.Replicate)
        {
            pr.BecomeProbe();
        }
    }

    /// <summary>The host finished (or failed) sending a snapshot to <paramref name="peer"/>.</summary>
    public void ReportSnapshot(ulong peer, bool succeeded)
    {
        if (Role != RaftRole.Leader || !_tracker.Progress.TryGetValue(peer, out var pr) || pr.State != ProgressState.Snapshot)
        {
            return;
        }
        if (!succeeded)
        {
            pr.PendingSnapshot = 0;
        }
        // Resume probing after the snapshot (or from Match after a failure), but wait for the next heartbeat
        // response: the follower may still be installing it.
        pr.BecomeProbe();
        pr.ProbeSent = true;
    }
}
