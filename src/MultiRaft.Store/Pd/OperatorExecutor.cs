using Microsoft.Extensions.Logging;
using MultiRaft.Protocol.Admin;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Pd;
using MultiRaft.Store.Service;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store.Pd;

/// <summary>
/// Carries out the operator step PD answered a region heartbeat with, through the same checked paths as the
/// admin RPCs: a step for an epoch the region has left behind is refused like any stale request, and PD
/// sees the outcome in the next heartbeat.
/// </summary>
internal sealed class OperatorExecutor(AdminService admin, ILogger logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, bool> _running = new();

    /// <summary>Carries out the step unless one is already under way for the region (heartbeat answers and
    /// polls can bring the same step twice).</summary>
    public async Task ExecuteAsync(OperatorStep step, CancellationToken cancellation)
    {
        if (!_running.TryAdd(step.RegionId, true))
        {
            return;
        }
        try
        {
            await RunAsync(step, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or RpcRemoteException or OperationCanceledException)
        {
            logger.LogInformation("region {Region}: operator step abandoned: {Reason}", step.RegionId, e.Message);
        }
        finally
        {
            _running.TryRemove(step.RegionId, out _);
        }
    }

    private async Task RunAsync(OperatorStep step, CancellationToken cancellation)
    {
        var context = new RegionContext(step.RegionId, step.Epoch);
        RegionError? error;
        if (step.TransferLeaderToPeer is { } to)
        {
            error = (await admin.TransferLeaderAsync(new TransferLeaderRequest(context, to), cancellation).ConfigureAwait(false)).Error;
        }
        else if (step.AddLearner is { } learner)
        {
            error = (await admin.ChangePeerAsync(new ChangePeerRequest(context, PeerChangeKind.AddLearner, learner.StoreId, learner.Id), cancellation).ConfigureAwait(false)).Error;
        }
        else if (step.PromoteLearner is { } promoted)
        {
            error = (await admin.ChangePeerAsync(new ChangePeerRequest(context, PeerChangeKind.PromoteLearner, promoted.StoreId, promoted.Id), cancellation).ConfigureAwait(false)).Error;
        }
        else if (step.SwapVoter is { } swap)
        {
            error = (await admin.ChangePeerAsync(new ChangePeerRequest(context, PeerChangeKind.SwapVoter, swap.Learner.StoreId, swap.Learner.Id, swap.Demoted.Id), cancellation).ConfigureAwait(false)).Error;
        }
        else if (step.RemovePeer is { } removed)
        {
            error = (await admin.ChangePeerAsync(new ChangePeerRequest(context, PeerChangeKind.RemovePeer, removed.StoreId, removed.Id), cancellation).ConfigureAwait(false)).Error;
        }
        else if (step.Split is { } split)
        {
            var hasIds = split.NewRegionIds is { Length: > 0 } && split.NewPeerIds is { Length: > 0 };
            error = (await admin.SplitAsync(new SplitRequest(context, split.SplitKeys ?? []),
                hasIds ? split.NewRegionIds : null, hasIds ? split.NewPeerIds : null, cancellation).ConfigureAwait(false)).Error;
        }
        else
        {
            error = RegionError.InvalidArgument("an operator step with nothing to do");
        }
        if (error is not null)
        {
            logger.LogInformation("region {Region}: operator step not carried out: {Error}", step.RegionId, error);
        }
    }
}
