using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Txn;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Service;

/// <summary>The Percolator commands: each is checked here, then proposed as one Raft command and decided when
/// applied (see <see cref="Apply.TxnApplier"/>). All of them are idempotent, so a client may resend one whose
/// answer it lost.</summary>
internal sealed partial class KvService
{
    /// <summary>Keys a GC step visits: keeps each GC entry (and the apply round holding it) small.</summary>
    private const int GcKeysPerStep = 256;

    private async Task<TxnWriteResponse> PrewriteAsync(PrewriteRequest request, CancellationToken cancellation)
    {
        var mutations = request.Mutations ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.BatchSize(mutations.Length, "prewrite")
            ?? _checks.KeyShape(request.Primary) ?? RequestChecks.Timestamp(request.StartTs, "start");
        long bytes = 0;
        for (var i = 0; error is null && i < mutations.Length; i++)
        {
            error = Mutation(mutations[i], peer.Region);
            bytes += error is null ? mutations[i].Key.Length + (mutations[i].Value?.Length ?? 0) : 0;
        }
        error ??= _checks.CommandSize(bytes);
        if (error is not null)
        {
            return new TxnWriteResponse(error, []);
        }
        var command = new TxnCommand(Prewrite: request with { Mutations = mutations });
        return Written(await ProposeTxnAsync(peer, request.Context, command, mutations.Length, bytes, mutations[0].Key, cancellation).ConfigureAwait(false));
    }

    private async Task<TxnWriteResponse> CommitAsync(CommitRequest request, CancellationToken cancellation)
    {
        var keys = request.Keys ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Keys(keys, peer.Region, "commit")
            ?? RequestChecks.Timestamp(request.StartTs, "start")
            ?? (request.CommitTs > request.StartTs ? null : RegionError.InvalidArgument("the commit timestamp must be after the start timestamp"));
        if (error is not null)
        {
            return new TxnWriteResponse(error, []);
        }
        var command = new TxnCommand(Commit: request with { Keys = keys });
        return Written(await ProposeTxnAsync(peer, request.Context, command, cancellation).ConfigureAwait(false));
    }

    private async Task<TxnWriteResponse> RollbackAsync(RollbackRequest request, CancellationToken cancellation)
    {
        var keys = request.Keys ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Keys(keys, peer.Region, "rollback")
            ?? RequestChecks.Timestamp(request.StartTs, "start");
        if (error is not null)
        {
            return new TxnWriteResponse(error, []);
        }
        var command = new TxnCommand(Rollback: request with { Keys = keys });
        return Written(await ProposeTxnAsync(peer, request.Context, command, cancellation).ConfigureAwait(false));
    }

    private async Task<CheckTxnStatusResponse> CheckTxnStatusAsync(CheckTxnStatusRequest request, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Key(request.Primary, peer.Region)
            ?? RequestChecks.Timestamp(request.LockTs, "lock") ?? RequestChecks.Timestamp(request.CurrentTs, "current");
        if (error is not null)
        {
            return new CheckTxnStatusResponse(error, 0);
        }
        var result = await ProposeTxnAsync(peer, request.Context, new TxnCommand(CheckStatus: request), cancellation).ConfigureAwait(false);
        return result.Error is { } failed ? new CheckTxnStatusResponse(failed, 0) : result.Txn!.Status!;
    }

    private async Task<ResolveLockResponse> ResolveLockAsync(ResolveLockRequest request, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? RequestChecks.Timestamp(request.StartTs, "start");
        if (error is null && request.CommitTs != 0 && request.CommitTs <= request.StartTs)
        {
            error = RegionError.InvalidArgument("the commit timestamp must be after the start timestamp (or 0 to roll back)");
        }
        if (error is not null)
        {
            return new ResolveLockResponse(error, 0);
        }
        var result = await ProposeTxnAsync(peer, request.Context, new TxnCommand(ResolveLock: request), cancellation).ConfigureAwait(false);
        return new ResolveLockResponse(result.Error, result.Txn?.Count ?? 0);
    }

    /// <summary>Collects the region in steps of <see cref="GcKeysPerStep"/> keys. A failure part way leaves
    /// the steps done so far in place: GC only drops versions no read may see, so a retry simply goes on.</summary>
    private async Task<GcResponse> GcAsync(GcRequest request, CancellationToken cancellation)
    {
        if ((_checks.Region(request.Context, out var peer) ?? RequestChecks.Timestamp(request.SafePoint, "safe point")) is { } error)
        {
            return new GcResponse(error, 0);
        }
        var deleted = 0;
        byte[] start = [];
        while (true)
        {
            var step = new TxnCommand(Gc: new GcStep(start, request.SafePoint, GcKeysPerStep));
            var result = await ProposeTxnAsync(peer, request.Context, step, cancellation).ConfigureAwait(false);
            if (result.Error is not null)
            {
                return new GcResponse(result.Error, deleted);
            }
            deleted += result.Txn!.Count;
            if (result.Txn.ResumeKey is not { } resume)
            {
                return new GcResponse(null, deleted);
            }
            start = resume;
        }
    }

    private RegionError? Mutation(TxnMutation? mutation, Storage.Kv.RegionLocalState region)
    {
        if (mutation is null)
        {
            return RegionError.InvalidArgument("a prewrite holds an empty mutation");
        }
        if (!Enum.IsDefined(mutation.Kind))
        {
            return RegionError.InvalidArgument($"unknown mutation kind {mutation.Kind}");
        }
        return _checks.Key(mutation.Key, region) ?? (mutation.Kind == TxnMutationKind.Put ? _checks.Value(mutation.Value) : null);
    }

    private static TxnWriteResponse Written(CommandResult result) => new(result.Error, result.Txn?.Errors ?? []);

    private Task<CommandResult> ProposeTxnAsync(Peer peer, RegionContext context, TxnCommand command, CancellationToken cancellation) =>
        ProposeTxnAsync(peer, context, command, 0, 0, null, cancellation);

    private Task<CommandResult> ProposeTxnAsync(Peer peer, RegionContext context, TxnCommand command, int keys, long bytes, byte[]? sampleKey, CancellationToken cancellation) =>
        ProposeRecordedAsync(peer, new RaftCommand(peer.RegionId, context.Epoch, [], Txn: command), keys, bytes, sampleKey, cancellation);
}
