using System.Buffers;
using MessagePack;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Txn;
using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;
using MultiRaft.Store.Status;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store.Service;

/// <summary>
/// The client KV service. Writes become one Raft command each and answer after they are applied; reads are
/// linearizable (a read barrier through the region's Raft node: lease or ReadIndex) and read the engine
/// afterwards. Every request names its region and epoch; every refusal is a <see cref="RegionError"/> with
/// no effect.
/// </summary>
internal sealed partial class KvService(StoreOptions options, PeerRegistry peers, KvEngine kv, StoreMetrics metrics)
{
    private readonly RequestChecks _checks = new(options, peers);
    private readonly MvccReader _mvcc = new(kv);

    public Dictionary<string, RpcHandler> Handlers() => new()
    {
        [KvMethods.Get] = Handler<GetRequest, GetResponse>(GetAsync),
        [KvMethods.BatchGet] = Handler<BatchGetRequest, BatchGetResponse>(BatchGetAsync),
        [KvMethods.Scan] = Handler<ScanRequest, ScanResponse>(ScanAsync),
        [KvMethods.Put] = Handler<PutRequest, WriteResponse>(PutAsync),
        [KvMethods.BatchPut] = Handler<BatchPutRequest, WriteResponse>(BatchPutAsync),
        [KvMethods.StoreBatchGet] = Handler<StoreBatchGetRequest, StoreBatchGetResponse>(StoreBatchGetAsync),
        [KvMethods.StoreBatchPut] = Handler<StoreBatchPutRequest, StoreBatchPutResponse>(StoreBatchPutAsync),
        [KvMethods.Delete] = Handler<DeleteRequest, WriteResponse>(DeleteAsync),
        [KvMethods.DeleteRange] = Handler<DeleteRangeRequest, WriteResponse>(DeleteRangeAsync),
        [KvMethods.CompareAndSwap] = Handler<CompareAndSwapRequest, CompareAndSwapResponse>(CompareAndSwapAsync),
        [TxnMethods.Get] = Handler<TxnGetRequest, TxnReadResponse>(TxnGetAsync),
        [TxnMethods.BatchGet] = Handler<TxnBatchGetRequest, TxnReadResponse>(TxnBatchGetAsync),
        [TxnMethods.Scan] = Handler<TxnScanRequest, TxnReadResponse>(TxnScanAsync),
        [TxnMethods.Prewrite] = Handler<PrewriteRequest, TxnWriteResponse>(PrewriteAsync),
        [TxnMethods.Commit] = Handler<CommitRequest, TxnWriteResponse>(CommitAsync),
        [TxnMethods.Rollback] = Handler<RollbackRequest, TxnWriteResponse>(RollbackAsync),
        [TxnMethods.CheckTxnStatus] = Handler<CheckTxnStatusRequest, CheckTxnStatusResponse>(CheckTxnStatusAsync),
        [TxnMethods.ResolveLock] = Handler<ResolveLockRequest, ResolveLockResponse>(ResolveLockAsync),
        [TxnMethods.ScanLock] = Handler<ScanLockRequest, ScanLockResponse>(ScanLockAsync),
        [TxnMethods.Gc] = Handler<GcRequest, GcResponse>(GcAsync),
    };

    /// <summary>An RPC handler that decodes the request (malformed bytes: InvalidArgument) and encodes the answer.</summary>
    public static RpcHandler Handler<TRequest, TResponse>(Func<TRequest, CancellationToken, Task<TResponse>> handle)
        where TRequest : class => async (body, cancellation) =>
    {
        TRequest? request;
        try
        {
            request = ProtocolSerializer.Deserialize<TRequest>(new ReadOnlySequence<byte>(body));
        }
        catch (MessagePackSerializationException e)
        {
            throw new ArgumentException($"malformed {typeof(TRequest).Name}: {e.Message}", e);
        }
        if (request is null)
        {
            throw new ArgumentException($"empty {typeof(TRequest).Name}");
        }
        return ProtocolSerializer.Serialize(await handle(request, cancellation).ConfigureAwait(false));
    };

    /// <summary>Waits until this leader may serve a linearizable read of the region (at once while its lease
    /// holds, else after a Raft round), then checks the region did not change under the request (a split while
    /// the read waited).</summary>
    private async Task<RegionError?> ReadBarrierAsync(Peer peer, RegionContext context, CancellationToken cancellation)
    {
        if (RequestChecks.Leader(peer) is { } notLeader)
        {
            return notLeader;
        }
        if (peer.CanReadLocally)
        {
            metrics.ReadServedLocally();
        }
        else
        {
            var waiter = new ReadWaiter();
            peer.Post(new PeerInput(PeerInputKind.Read, Read: waiter));
            try
            {
                if (await waiter.Completion.WaitAsync(cancellation).ConfigureAwait(false) is { } error)
                {
                    return error;
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return RegionError.Timeout($"region {peer.RegionId}: the read was not confirmed before the request's deadline");
            }
        }
        if (RequestChecks.Epoch(context, peer.Region) is { } epochError)
        {
            return epochError;
        }
        metrics.ReadServed();
        return null;
    }

    /// <summary>Proposes the writes as one command and waits until it is applied.</summary>
    private Task<CommandResult> ProposeAsync(Peer peer, RegionContext context, WriteOp[] writes, CancellationToken cancellation)
    {
        long bytes = 0;
        foreach (var write in writes)
        {
            bytes += write.Key.Length + (write.Value?.Length ?? 0);
        }
        return ProposeRecordedAsync(peer, new RaftCommand(peer.RegionId, context.Epoch, writes), writes.Length, bytes, writes[0].Key, cancellation);
    }

    /// <summary>Proposes a command, counts it in the metrics and, once applied, in the region's write load.</summary>
    private async Task<CommandResult> ProposeRecordedAsync(Peer peer, RaftCommand command, int keys, long bytes, byte[]? sampleKey, CancellationToken cancellation)
    {
        metrics.Proposed();
        var result = await ProposeAsync(_checks, peer, command, cancellation).ConfigureAwait(false);
        if (result.Error is { } error)
        {
            metrics.ProposalFailed(error.Kind);
        }
        else if (keys > 0)
        {
            peer.RecordWrite(keys, bytes);
            if (sampleKey is not null)
            {
                peer.SampleKey(sampleKey);
            }
        }
        return result;
    }

    /// <summary>Proposes a command through the region's leader and waits until it is applied.</summary>
    public static Task<CommandResult> ProposeAsync(RequestChecks checks, Peer peer, RaftCommand command, CancellationToken cancellation) =>
        ProposeAsync(checks, peer, new Proposal(command), cancellation);

    public static async Task<CommandResult> ProposeAsync(RequestChecks checks, Peer peer, Proposal proposal, CancellationToken cancellation)
    {
        if ((RequestChecks.Leader(peer) ?? checks.Busy(peer)) is { } error)
        {
            return new CommandResult(error);
        }
        peer.Post(new PeerInput(PeerInputKind.Propose, Proposal: proposal));
        try
        {
            return await proposal.Completion.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The deadline passed (or the client went away) with the proposal in Raft: it may still commit.
            return new CommandResult(RegionError.Timeout(
                $"region {peer.RegionId}: the write was not applied before the request's deadline; it may still be applied"));
        }
    }
}
