using System.Buffers;
using MessagePack;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Regions;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Store.Service;

/// <summary>
/// The client KV service. Writes become one Raft command each and answer after they are applied; reads are
/// linearizable (a read barrier through the region's Raft node: lease or ReadIndex) and read the engine
/// afterwards. Every request names its region and epoch; every refusal is a <see cref="RegionError"/> with
/// no effect.
/// </summary>
internal sealed partial class KvService(StoreOptions options, PeerRegistry peers, KvEngine kv)
{
    private readonly RequestChecks _checks = new(options, peers);

    public Dictionary<string, RpcHandler> Handlers() => new()
    {
        [KvMethods.Get] = Handler<GetRequest, GetResponse>(GetAsync),
        [KvMethods.BatchGet] = Handler<BatchGetRequest, BatchGetResponse>(BatchGetAsync),
        [KvMethods.Scan] = Handler<ScanRequest, ScanResponse>(ScanAsync),
        [KvMethods.Put] = Handler<PutRequest, WriteResponse>(PutAsync),
        [KvMethods.BatchPut] = Handler<BatchPutRequest, WriteResponse>(BatchPutAsync),
        [KvMethods.Delete] = Handler<DeleteRequest, WriteResponse>(DeleteAsync),
        [KvMethods.DeleteRange] = Handler<DeleteRangeRequest, WriteResponse>(DeleteRangeAsync),
        [KvMethods.CompareAndSwap] = Handler<CompareAndSwapRequest, CompareAndSwapResponse>(CompareAndSwapAsync),
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

    /// <summary>Waits until this leader may serve a linearizable read of the region, then checks the region
    /// did not change under the request (a split while the read waited).</summary>
    private static async Task<RegionError?> ReadBarrierAsync(Peer peer, RegionContext context, CancellationToken cancellation)
    {
        if (RequestChecks.Leader(peer) is { } notLeader)
        {
            return notLeader;
        }
        var waiter = new ReadWaiter();
        peer.Post(new PeerInput(PeerInputKind.Read, Read: waiter));
        if (await waiter.Completion.WaitAsync(cancellation).ConfigureAwait(false) is { } error)
        {
            return error;
        }
        return RequestChecks.Epoch(context, peer.Region);
    }

    /// <summary>Proposes the writes as one command and waits until it is applied.</summary>
    private Task<CommandResult> ProposeAsync(Peer peer, RegionContext context, WriteOp[] writes, CancellationToken cancellation) =>
        ProposeAsync(_checks, peer, new RaftCommand(peer.RegionId, context.Epoch, writes), cancellation);

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
        return await proposal.Completion.WaitAsync(cancellation).ConfigureAwait(false);
    }
}
