using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Txn;

namespace MultiRaft.Store.Apply;

/// <summary>
/// Applies one transactional command to the region's MVCC data. Runs on every replica against the same
/// state (the applier writes everything before it first), so each reaches the same verdict; a command that
/// fails for any key stages nothing.
/// </summary>
internal static class TxnApplier
{
    public static CommandResult Apply(KvEngine kv, KvWriteBatch batch, RegionLocalState region, TxnCommand command)
    {
        try
        {
            return Run(kv, batch, region, command);
        }
        catch (ArgumentException e)
        {
            // The service checks requests before proposing them; this keeps a bad entry (an older client, a
            // check missed) from stopping the apply loop. Every replica refuses it alike.
            return new CommandResult(Protocol.Kv.RegionError.InvalidArgument(e.Message));
        }
    }

    private static CommandResult Run(KvEngine kv, KvWriteBatch batch, RegionLocalState region, TxnCommand command)
    {
        if (command.Prewrite is { } prewrite)
        {
            var mutations = new List<TxnMutation>(prewrite.Mutations.Length);
            foreach (var mutation in prewrite.Mutations)
            {
                mutations.Add(mutation.ToMvcc());
            }
            return Done(MvccActions.Prewrite(kv, batch, mutations, prewrite.Primary, prewrite.StartTs, prewrite.TtlMs));
        }
        if (command.Commit is { } commit)
        {
            return Done(MvccActions.Commit(kv, batch, commit.Keys, commit.StartTs, commit.CommitTs));
        }
        if (command.Rollback is { } rollback)
        {
            return Done(MvccActions.Rollback(kv, batch, rollback.Keys, rollback.StartTs));
        }
        if (command.CheckStatus is { } check)
        {
            var status = MvccActions.CheckTxnStatus(kv, batch, check.Primary, check.LockTs, check.CurrentTs);
            return new CommandResult(null, Txn: new TxnOutcome([], status.ToWire()));
        }
        if (command.ResolveLock is { } resolve)
        {
            var resolved = MvccActions.ResolveLock(kv, batch, region.StartKey, region.EndKey, resolve.StartTs, resolve.CommitTs);
            return new CommandResult(null, Txn: new TxnOutcome([], Count: resolved));
        }
        if (command.Gc is { } gc)
        {
            var start = gc.StartKey.AsSpan().SequenceCompareTo(region.StartKey) > 0 ? gc.StartKey : region.StartKey;
            var result = MvccActions.Gc(kv, batch, start, region.EndKey, gc.SafePoint, gc.MaxKeys);
            return new CommandResult(null, Txn: new TxnOutcome([], Count: result.VersionsDeleted, ResumeKey: result.ResumeKey));
        }
        return new CommandResult(Protocol.Kv.RegionError.InvalidArgument("an empty transactional command"));
    }

    /// <summary>The keys whose state decides the command's verdict; null for the commands that read a whole
    /// range (ResolveLock, GC).</summary>
    public static IEnumerable<byte[]>? KeysRead(TxnCommand command) =>
        command.Prewrite?.Mutations.Select(m => m.Key)
        ?? command.Commit?.Keys
        ?? command.Rollback?.Keys
        ?? (command.CheckStatus is { } check ? [check.Primary] : null);

    private static CommandResult Done(List<TxnKeyError> errors) => new(null, Txn: new TxnOutcome(errors.ToWire()));
}
