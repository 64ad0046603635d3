using MultiRaft.Raft;
using MultiRaft.Storage.RaftLog;
using MultiRaft.Store.Apply;
using MultiRaft.Store.Network;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Snapshots;
using MultiRaft.Store.Status;

namespace MultiRaft.Store.Batch;

/// <summary>
/// One worker's pass over the peers that have work: run their inboxes, collect their Readys, send the messages
/// that need no durability, put every entry and hard state into one log batch for the <see cref="LogWriter"/>
/// (which sends the rest after its fsync), hand committed entries to the apply workers, and advance the nodes.
/// The round waits neither for the disk nor for the KV engine. A round with a snapshot to install is the
/// exception: it waits for the writer, then writes and fsyncs its batch itself. Only a membership change is
/// applied here, once the peer's earlier entries are: Raft's configuration changes when it applies.
/// </summary>
internal sealed class RaftRound(RaftLogEngine log, LogWriter? writer, Applier applier, StoreRouter router, SnapshotInstaller installer, SnapshotRangeGuard snapshotRanges, LogCompactor compactor, PeerDestroyer destroyer, StoreMetrics metrics, int hibernateAfterTicks) : IBatchRound<Peer>
{
    private readonly LogWrite _write = new(); // Only for rounds that write their own batch.
    private readonly List<(Peer Peer, Ready Ready)> _readies = [];
    private readonly List<int> _ticks = [];

    public void Run(List<Peer> peers)
    {
        _ticks.Clear();
        metrics.Round(peers.Count);
        try
        {
            foreach (var peer in peers)
            {
                if (peer.IsDestroyed)
                {
                    _ticks.Add(0);
                    continue;
                }
                peer.Node.AppliedTo(peer.Applies.AppliedThrough);
                peer.ReportPersisted();
                _ticks.Add(peer.HandleInbox(snapshotRanges));
                peer.UpdateLocalReads();
                if (peer.Node.HasReady)
                {
                    _readies.Add((peer, peer.Node.GetReady()));
                }
            }
            if (_readies.Count > 0)
            {
                var writtenLater = writer is not null && !_readies.Exists(r => r.Ready.Snapshot is not null);
                if (writtenLater)
                {
                    SubmitWrite(writer!);
                }
                else
                {
                    writer?.WaitIdle(); // A snapshot replaces what the earlier writes wrote: they go first.
                    Persist();
                }
                HandOffCommitted(writtenLater);
                foreach (var (peer, ready) in _readies)
                {
                    peer.OnReadStates(ready.ReadStates);
                    peer.ObserveRole();
                }
            }
            compactor.Compact(DueForCompaction(peers));
        }
        finally
        {
            _readies.Clear();
            // Also when Raft turned a snapshot down without any output this round.
            ReleaseSnapshotRanges(peers);
        }
        DestroyRequested(peers);
        for (var i = 0; i < peers.Count; i++)
        {
            if (!peers[i].IsDestroyed)
            {
                peers[i].ServeAppliedReads(); // Also those an apply worker woke this peer for.
                peers[i].UpdateHibernation(_ticks[i], hibernateAfterTicks);
            }
        }
    }

    /// <summary>Peers whose log may be due for GC: those that had output this round, and those asked to.</summary>
    private IEnumerable<Peer> DueForCompaction(List<Peer> peers)
    {
        foreach (var (peer, _) in _readies)
        {
            yield return peer;
        }
        foreach (var peer in peers)
        {
            if (peer.LogCompactionRequested && !_readies.Exists(r => r.Peer == peer))
            {
                yield return peer;
            }
        }
    }

    /// <summary>A snapshot admitted this round is installed now (or Raft turned it down): its peer's range is
    /// the one that counts from here on.</summary>
    private void ReleaseSnapshotRanges(List<Peer> peers)
    {
        foreach (var peer in peers)
        {
            if (peer.HoldsSnapshotRange)
            {
                peer.HoldsSnapshotRange = false;
                snapshotRanges.Release(peer);
            }
        }
    }

    /// <summary>Replicas PD reported removed are destroyed between rounds, never while their Ready is open.</summary>
    private void DestroyRequested(List<Peer> peers)
    {
        foreach (var peer in peers)
        {
            if (peer.DestroyRequested)
            {
                destroyer.Destroy(peer);
            }
        }
    }

    /// <summary>Sends what may leave now and hands the round's log write to the writer.</summary>
    private void SubmitWrite(LogWriter logWriter)
    {
        var write = logWriter.Rent();
        foreach (var (peer, ready) in _readies)
        {
            // Appends from a leader may leave before its own fsync: a commit still needs a durable majority.
            router.Send(peer, ready.Messages);
            write.Add(peer, ready);
        }
        logWriter.Submit(write);
    }

    /// <summary>Writes and fsyncs the round's batch here (a snapshot round, or with no log writer), then sends
    /// what waited for it.</summary>
    private void Persist()
    {
        foreach (var (peer, ready) in _readies)
        {
            // Appends from a leader may leave before its own fsync: a commit still needs a durable majority.
            router.Send(peer, ready.Messages);
            if (ready.Snapshot is { } snapshot)
            {
                peer.Applies.WaitIdle(); // The snapshot replaces the state machine the earlier entries were applied to.
                installer.Install(peer, snapshot);
                _write.Batch.ApplySnapshot(peer.RegionId, snapshot.Metadata);
            }
            _write.Add(peer, ready);
        }
        if (!_write.Batch.IsEmpty)
        {
            log.Write(_write.Batch);
            metrics.LogWritten(_write.Entries);
            if (_write.MustSync)
            {
                LogWriter.SyncTimed(log, metrics);
            }
        }
        foreach (var (peer, _, afterPersist) in _write.Persisted)
        {
            router.Send(peer, afterPersist);
        }
        _write.Clear();
    }

    /// <summary>Hands each Ready's committed entries to the apply workers and advances the node; a membership
    /// change is applied here instead, after the peer's earlier entries.</summary>
    private void HandOffCommitted(bool writtenLater)
    {
        var appliedHere = 0;
        foreach (var (peer, ready) in _readies)
        {
            if (ready.CommittedEntries.Count == 0)
            {
                Advance(peer.Node, ready, writtenLater);
                continue;
            }
            var task = ApplyTask.Take(peer, ready.CommittedEntries);
            if (!task.ChangesMembership)
            {
                peer.Applies.Post(task);
                Advance(peer.Node, ready, writtenLater);
                continue;
            }
            peer.Applies.WaitIdle();
            applier.Apply(peer, task);
            applier.Commit();
            appliedHere += task.Entries.Length;
            Advance(peer.Node, ready, writtenLater);
            peer.Node.AppliedTo(task.Entries[^1].Index);
        }
        if (appliedHere > 0)
        {
            metrics.Applied(appliedHere);
        }
    }

    /// <summary>Advances past a Ready whose committed entries are handed out (applied or queued).</summary>
    private static void Advance(RaftNode node, Ready ready, bool writtenLater)
    {
        if (writtenLater)
        {
            node.AdvanceWritingLater(ready);
        }
        else
        {
            node.AdvanceApplyingLater(ready);
        }
    }

    public void Dispose() => applier.Dispose();
}
