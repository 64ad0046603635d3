using MultiRaft.Protocol.Kv;
using MultiRaft.Store.Commands;

namespace MultiRaft.Store.Peers;

/// <summary>A client write on its way through Raft: completed once its entry is applied, or with the reason
/// it never will be.</summary>
internal sealed class Proposal
{
    private readonly TaskCompletionSource<CommandResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Proposal(RaftCommand command) => Data = command.Encode();

    /// <summary>A membership change: proposed as a Raft conf change rather than a normal entry.</summary>
    public Proposal(Raft.ConfChange change)
    {
        ConfChange = change;
        Data = [];
    }

    public byte[] Data { get; }

    public Raft.ConfChange? ConfChange { get; }

    /// <summary>Where Raft placed the entry (set when the leader accepts it).</summary>
    public ulong Index { get; set; }

    public ulong Term { get; set; }

    public Task<CommandResult> Completion => _done.Task;

    public void Complete(CommandResult result) => _done.TrySetResult(result);

    public void Fail(RegionError error) => _done.TrySetResult(new CommandResult(error));
}

/// <summary>How an applied command ended: an error (nothing changed), or success with, for a
/// compare-and-swap, whether it swapped and the value it found; for a transactional command, its outcome.</summary>
internal sealed record CommandResult(
    RegionError? Error, bool Swapped = false, byte[]? Previous = null, Protocol.Metadata.RegionInfo[]? Regions = null, TxnOutcome? Txn = null)
{
    public static CommandResult Ok { get; } = new((RegionError?)null);
}

/// <summary>A linearizable read waiting for its read index to be confirmed and applied.</summary>
internal sealed class ReadWaiter
{
    private readonly TaskCompletionSource<RegionError?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<RegionError?> Completion => _done.Task;

    public void Ready() => _done.TrySetResult(null);

    public void Fail(RegionError error) => _done.TrySetResult(error);
}

/// <summary>What a transactional command did: the key errors that stopped it (nothing changed then), the
/// transaction status it found, how many locks or versions it resolved or collected, and where a GC step
/// stopped (null: the region is done).</summary>
internal sealed record TxnOutcome(
    Protocol.Txn.KeyError[] Errors, Protocol.Txn.CheckTxnStatusResponse? Status = null, int Count = 0, byte[]? ResumeKey = null);
