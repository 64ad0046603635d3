namespace MultiRaft.Raft;

public sealed partial class RaftNode
{
    private HardState _previousHardState;
    private SoftState _previousSoftState;
    private Ready? _outstanding;
    // Buffers behind Ready.Entries and Ready.CommittedEntries, reused so that a Ready allocates nothing per entry.
    private readonly List<Entry> _readyEntries = [];
    private readonly List<Entry> _readyCommitted = [];
    private EntryList? _readyEntriesView;
    private EntryList? _readyCommittedView;

    /// <summary>Whether <see cref="GetReady"/> has anything for the host.</summary>
    public bool HasReady
    {
        get
        {
            if (_outstanding is not null)
            {
                return false;
            }
            if (_appendsPending && Role == RaftRole.Leader)
            {
                return true;
            }
            return CurrentSoftState != _previousSoftState
                || CurrentHardState != _previousHardState
                || _log.Unstable.HasEntriesToPersist
                || _log.HasPendingSnapshot
                || _messages.Count > 0
                || _messagesAfterPersist.Count > 0
                || _readStates.Count > 0
                || _log.HasNextCommittedEntries(_log.Applying + 1);
        }
    }

    /// <summary>Collects the work for the host. Call <see cref="Advance"/> with it before the next GetReady.</summary>
    public Ready GetReady()
    {
        if (_outstanding is not null)
        {
            throw new InvalidOperationException("the previous Ready has not been advanced");
        }
        if (_appendsPending && Role == RaftRole.Leader)
        {
            BroadcastAppend();
        }
        // The messages hold their own references; the next Ready builds new batches.
        ReleaseLastSentBatch();
        var soft = CurrentSoftState;
        var hard = CurrentHardState;
        var entries = EntriesToPersist();
        var ready = new Ready
        {
            SoftState = soft != _previousSoftState ? soft : null,
            HardState = hard != _previousHardState ? hard : null,
            Entries = entries,
            Snapshot = _log.PendingSnapshot,
            Messages = _messages,
            MessagesAfterPersist = _messagesAfterPersist,
            CommittedEntries = NextCommittedEntries(),
            ReadStates = _readStates,
            MustSync = entries.Length > 0 || hard.Term != _previousHardState.Term || hard.Vote != _previousHardState.Vote
                || _log.HasPendingSnapshot,
        };
        _messages = [];
        _messagesAfterPersist = [];
        _readStates = [];
        _previousSoftState = soft;
        _outstanding = ready;
        return ready;
    }

    private EntryList EntriesToPersist()
    {
        if (!_log.Unstable.HasEntriesToPersist)
        {
            return EntryList.Empty;
        }
        _log.Unstable.CopyEntriesToPersist(_readyEntries);
        return _readyEntriesView ??= new EntryList(_readyEntries);
    }

    private EntryList NextCommittedEntries()
    {
        var from = Math.Max(_log.Applying + 1, _log.FirstIndex);
        if (!_log.HasNextCommittedEntries(from))
        {
            return EntryList.Empty;
        }
        _readyCommitted.Clear();
        var last = _log.MaxAppliableIndex;
        if (_log.Slice(from, last + 1, _config.MaxCommittedBytesPerReady, _readyCommitted) != LogRead.Ok)
        {
            throw new InvalidOperationException($"committed entries [{from}, {last}] are not readable: {_log}");
        }
        if (Role == RaftRole.Leader)
        {
            foreach (var entry in _readyCommitted)
            {
                _uncommittedBytes = Math.Max(0, _uncommittedBytes - entry.Data.Length);
            }
        }
        return _readyCommittedView ??= new EntryList(_readyCommitted);
    }

    /// <summary>The host has persisted, sent and applied <paramref name="ready"/>.</summary>
    public void Advance(Ready ready)
    {
        AdvanceApplyingLater(ready);
        if (ready.CommittedEntries.Length > 0)
        {
            AppliedTo(ready.CommittedEntries[^1].Index);
        }
    }

    /// <summary>
    /// The host has persisted and sent <paramref name="ready"/> and handed its committed entries to be applied
    /// later; it reports their progress with <see cref="AppliedTo"/>. Later Readys carry the entries after them.
    /// Until then the node counts them as unapplied: no membership change is proposed or campaigned across them.
    /// </summary>
    public void AdvanceApplyingLater(Ready ready)
    {
        AdvancePersisted(ready);
        if (ready.CommittedEntries.Length > 0)
        {
            _log.ApplyingTo(ready.CommittedEntries[^1].Index);
        }
    }

    /// <summary>
    /// The host has sent <paramref name="ready"/>'s <see cref="Ready.Messages"/>, queued its entries and hard
    /// state for one durable write, and handed its committed entries to be applied later (see
    /// <see cref="AdvanceApplyingLater"/>). Once the write is durable it sends
    /// <see cref="Ready.MessagesAfterPersist"/> and calls <see cref="PersistedTo"/>; writes complete in the
    /// order their Readys were taken. A Ready with a snapshot is not written later: the host waits for its
    /// earlier writes, persists it and calls <see cref="AdvanceApplyingLater"/>. Needs <see cref="RaftConfig.AsyncLogWrites"/>.
    /// </summary>
    public void AdvanceWritingLater(Ready ready)
    {
        if (!_config.AsyncLogWrites)
        {
            throw new InvalidOperationException("writing later needs RaftConfig.AsyncLogWrites");
        }
        if (ready.Snapshot is not null)
        {
            throw new InvalidOperationException("a Ready with a snapshot is persisted before the node advances");
        }
        TakeOutstanding(ready);
        if (ready.Entries.Length > 0)
        {
            _log.Unstable.AcceptInProgress(ready.Entries[^1].Index);
        }
        if (ready.CommittedEntries.Length > 0)
        {
            _log.ApplyingTo(ready.CommittedEntries[^1].Index);
        }
    }

    /// <summary>The write that ended with entry (<paramref name="index"/>, <paramref name="term"/>) is durable.
    /// A report about entries since replaced by a new leader's is ignored: the entries that replaced them are
    /// reported by a later write.</summary>
    public void PersistedTo(ulong index, ulong term)
    {
        _log.StableTo(index, term);
        CountOwnDurableCopy();
    }

    /// <summary>The host has applied every entry up to <paramref name="index"/>, which it was handed
    /// (see <see cref="AdvanceApplyingLater"/>). A report older than what the node knows is ignored.</summary>
    public void AppliedTo(ulong index)
    {
        if (index <= _log.Applied)
        {
            return;
        }
        if (index > _log.Applying)
        {
            throw new InvalidOperationException($"applied {index} reported, but only entries up to {_log.Applying} were handed out");
        }
        _log.AppliedTo(index);
        MaybeAutoLeaveJoint();
    }

    private void AdvancePersisted(Ready ready)
    {
        TakeOutstanding(ready);
        if (ready.Snapshot is { } snapshot)
        {
            _log.StableSnapTo(snapshot.Metadata.Index);
            // The host installed the snapshot into its state machine along with persisting it.
            _log.AppliedTo(snapshot.Metadata.Index);
        }
        if (ready.Entries.Length > 0)
        {
            var last = ready.Entries[^1];
            PersistedTo(last.Index, last.Term);
        }
    }

    private void TakeOutstanding(Ready ready)
    {
        if (!ReferenceEquals(ready, _outstanding))
        {
            throw new InvalidOperationException("advancing a Ready that is not the outstanding one");
        }
        _outstanding = null;
        if (ready.HardState is { } hard)
        {
            // Also when the write is still in flight: writes complete in order, so the next Ready need not repeat it.
            _previousHardState = hard;
        }
    }

    private void CountOwnDurableCopy()
    {
        if (Role == RaftRole.Leader && _tracker.Progress.TryGetValue(Id, out var self) && self.MaybeUpdate(_log.StableLastIndex) && MaybeCommit())
        {
            // The leader's own durable copy completed a quorum (always so in a single-voter group).
            BroadcastAppend();
        }
    }
}
