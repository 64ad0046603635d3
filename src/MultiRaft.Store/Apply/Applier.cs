using Microsoft.Extensions.Logging;
using MultiRaft.Protocol.Kv;
using MultiRaft.Raft;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;

namespace MultiRaft.Store.Apply;

/// <summary>
/// Applies the committed entries of every peer in a round to the KV engine in one write batch that also
/// carries each region's new applied index, so data and applied index never disagree. Waiting proposals
/// complete only after that batch is written, so a client that hears "ok" can read its write. Each apply worker
/// has one (<see cref="ApplyRound"/>), and so does each Raft worker, for the membership changes it applies itself.
/// </summary>
internal sealed class Applier(KvEngine kv, SplitExecutor splits, PeerDestroyer destroyer, ILogger logger) : IDisposable
{
    private readonly Dictionary<Peer, ApplyState> _applied = [];
    private readonly List<Peer> _removed = [];
    private readonly List<(Peer Peer, Proposal Proposal, CommandResult Result)> _completions = [];

    // Keys the batch holds transactional changes for (see ApplyTxn); cleared whenever the batch is written.
    private readonly HashSet<byte[]> _stagedTxnKeys = new(Protocol.ByteArrayComparer.Instance);
    private bool _txnRangeStaged;
    private KvWriteBatch _batch = kv.NewWriteBatch();

    public void Apply(Peer peer, ApplyTask task)
    {
        var entries = task.Entries;
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            var result = entry.Type == EntryType.ConfChange ? ApplyConfChange(peer, entry) : ApplyNormal(peer, entry);
            if (task.Proposals?[i] is { } proposal)
            {
                // A different term at the index means another leader's entry took it: ours never committed.
                _completions.Add((peer, proposal, proposal.Term == entry.Term ? result : new CommandResult(Peer.Dropped(proposal))));
            }
            _applied[peer] = new ApplyState(entry.Index, entry.Term);
            if (_removed.Contains(peer))
            {
                break; // Nothing after its own removal concerns this replica.
            }
        }
    }

    /// <summary>Writes the round's batch, then completes its proposals and serves reads that waited for it.</summary>
    public void Commit()
    {
        Flush();
        foreach (var (peer, proposal, result) in _completions)
        {
            peer.FinishProposal(proposal, result);
        }
        _completions.Clear();
        foreach (var peer in _removed)
        {
            destroyer.Destroy(peer);
        }
        _removed.Clear();
    }

    private void Flush()
    {
        if (_applied.Count == 0)
        {
            return;
        }
        foreach (var (peer, state) in _applied)
        {
            _batch.SetApplyState(peer.RegionId, state);
        }
        // No fsync: the Raft log is durable, and a restart replays whatever the KV engine had not persisted.
        kv.Write(_batch, sync: false);
        _batch.Clear();
        _stagedTxnKeys.Clear();
        _txnRangeStaged = false;
        foreach (var (peer, state) in _applied)
        {
            peer.AppliedIndex = state.AppliedIndex;
            peer.AppliedTerm = state.AppliedTerm;
        }
        _applied.Clear();
    }

    /// <summary>
    /// A membership step: Raft's configuration and the region's peer list change at the same index, in the
    /// same KV batch as the entry's applied index. A step that no longer fits the region (its conf version
    /// moved on) is skipped by every replica alike, and Raft's configuration stays as it was.
    /// </summary>
    private CommandResult ApplyConfChange(Peer peer, Entry entry)
    {
        var change = ConfChange.Decode(entry.Data.Span);
        if (change.Context.IsEmpty)
        {
            peer.Node.ApplyConfChange(change); // Raft's own step (leaving a joint configuration).
            return CommandResult.Ok;
        }
        var step = PeerChange.Decode(change.Context);
        var region = peer.Region;
        if (step.RegionId != region.RegionId || step.Epoch.ConfVersion != region.Epoch.ConfVersion)
        {
            var info = region.ToInfo();
            return new CommandResult(RegionError.EpochNotMatch($"region {region.RegionId} is at epoch {info.Epoch}, the change was proposed at {step.Epoch}", [info]));
        }
        var updated = PeerChangePlanner.Plan(region, step, out var error);
        if (updated is null)
        {
            return new CommandResult(error);
        }
        try
        {
            peer.Node.ApplyConfChange(change);
        }
        catch (ConfChangeException e)
        {
            logger.LogError(e, "region {Region}: Raft refused {Change}", region.RegionId, change);
            return new CommandResult(RegionError.InvalidArgument(e.Message));
        }
        Flush();
        _batch.SetRegionState(updated);
        _applied[peer] = new ApplyState(entry.Index, entry.Term);
        Flush();
        peer.Region = updated;
        peer.HeartbeatDue = true;
        if (step.Kind == Protocol.Admin.PeerChangeKind.RemovePeer && step.Peer.Id == peer.PeerId)
        {
            _removed.Add(peer);
        }
        return new CommandResult(null, Regions: [updated.ToInfo()]);
    }

    private CommandResult ApplyNormal(Peer peer, Entry entry)
    {
        if (entry.Data.IsEmpty)
        {
            return CommandResult.Ok; // A new leader's empty entry.
        }
        RaftCommand command;
        try
        {
            command = RaftCommand.Decode(entry.Data);
        }
        catch (MessagePack.MessagePackSerializationException e)
        {
            logger.LogError(e, "region {Region}: entry {Index} is not a command; skipped", peer.RegionId, entry.Index);
            return new CommandResult(RegionError.InvalidArgument($"entry {entry.Index} is not a command"));
        }
        var region = peer.Region;
        if (command.RegionId != region.RegionId || command.Epoch.Version != region.Epoch.Version)
        {
            var info = region.ToInfo();
            return new CommandResult(RegionError.EpochNotMatch(
                $"region {region.RegionId} is at epoch {info.Epoch}, the command was proposed at {command.Epoch}", [info]));
        }
        if (command.Split is { } split)
        {
            return ApplySplit(peer, entry, split);
        }
        if (command.Txn is { } txn)
        {
            return ApplyTxn(region, txn);
        }
        CommandResult result = CommandResult.Ok;
        foreach (var write in command.Writes ?? [])
        {
            result = ApplyWrite(write);
        }
        return result;
    }

    /// <summary>
    /// A transactional command decides from the engine's state of its keys, so changes staged for those keys
    /// earlier in the round are written first. Only those: raw writes and other keys' transactional changes
    /// cannot change its verdict, and a write per command was most of the apply cost of transactions.
    /// </summary>
    private CommandResult ApplyTxn(RegionLocalState region, TxnCommand txn)
    {
        // Replicas cut rounds differently: a verdict must never depend on what happened to be written.
        var keys = TxnApplier.KeysRead(txn);
        if (_txnRangeStaged || (keys is null ? _stagedTxnKeys.Count > 0 : keys.Any(_stagedTxnKeys.Contains)))
        {
            Flush();
        }
        var result = TxnApplier.Apply(kv, _batch, region, txn);
        if (keys is null)
        {
            _txnRangeStaged = true; // A range command may have staged any key.
        }
        else
        {
            _stagedTxnKeys.UnionWith(keys);
        }
        return result;
    }

    /// <summary>Writes what came before, then the split's records together with the split entry's own
    /// applied index, so a restart never applies the split twice; then starts the new peers.</summary>
    private CommandResult ApplySplit(Peer peer, Entry entry, SplitCommand split)
    {
        Flush();
        var prepared = splits.Prepare(peer, split, out var error);
        if (prepared is null)
        {
            return new CommandResult(error);
        }
        SplitExecutor.AddToBatch(_batch, prepared);
        _applied[peer] = new ApplyState(entry.Index, entry.Term);
        Flush();
        return new CommandResult(null, Regions: splits.Start(peer, prepared));
    }

    private CommandResult ApplyWrite(WriteOp write)
    {
        switch (write.Kind)
        {
            case WriteKind.Put:
                _batch.Put(write.Key, write.Value ?? []);
                return CommandResult.Ok;
            case WriteKind.Delete:
                _batch.Delete(write.Key);
                return CommandResult.Ok;
            case WriteKind.DeleteRange:
                _batch.DeleteRange(write.Key, write.EndKey ?? []);
                return CommandResult.Ok;
            case WriteKind.CompareAndSwap:
                return CompareAndSwap(write);
            default:
                return new CommandResult(RegionError.InvalidArgument($"unknown write kind {write.Kind}"));
        }
    }

    private CommandResult CompareAndSwap(WriteOp write)
    {
        // The comparison must see the writes applied before it in this round: write them (with their
        // applied indexes, so the batch stays consistent) before reading.
        Flush();
        var current = kv.Get(write.Key);
        var matches = write.Expected is null ? current is null : current is not null && current.AsSpan().SequenceEqual(write.Expected);
        if (!matches)
        {
            return new CommandResult(null, Swapped: false, Previous: current);
        }
        if (write.Value is null)
        {
            _batch.Delete(write.Key);
        }
        else
        {
            _batch.Put(write.Key, write.Value);
        }
        return new CommandResult(null, Swapped: true, Previous: current);
    }

    public void Dispose() => _batch.Dispose();
}
