using System.Buffers;
using MessagePack;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.Protocol;
using MultiRaft.Protocol.Pd;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// The PD RPC methods: each decodes its request, asks the component that owns the answer, and encodes the
/// response. Bad input (undecodable body, missing fields, out-of-range counts) throws ArgumentException, which
/// the RPC server turns into an InvalidArgument answer.
/// </summary>
internal sealed class PdService(
    Func<ulong> clusterId,
    Func<string?> httpAddress,
    int maxReplicas,
    IdAllocator ids,
    TimestampOracle tso,
    GcSafePoints gc,
    StoreRegistry stores,
    RegionRegistry regions,
    Bootstrapper bootstrapper,
    IOperatorSource operators)
{
    public const int MaxScanLimit = 10_000;

    public IReadOnlyDictionary<string, RpcHandler> Handlers() => new Dictionary<string, RpcHandler>
    {
        [PdMethods.PendingOperators] = Handle((PendingOperatorsRequest r) => new PendingOperatorsResponse(operators.PendingSteps(r.StoreId, regions))),
        [PdMethods.GetCluster] = Handle((GetClusterRequest _) =>
            new GetClusterResponse(clusterId(), bootstrapper.IsBootstrapped, maxReplicas, httpAddress())),
        [PdMethods.PutStore] = Handle((PutStoreRequest r) =>
        {
            var id = stores.Put(r.StoreId, r.Address, r.StatusAddress);
            bootstrapper.TryBootstrap();
            return new PutStoreResponse(id);
        }),
        [PdMethods.GetStore] = Handle((GetStoreRequest r) => new GetStoreResponse(stores.Get(r.StoreId))),
        [PdMethods.GetAllStores] = Handle((GetAllStoresRequest _) => new GetAllStoresResponse(stores.GetAll())),
        [PdMethods.AllocId] = Handle((AllocIdRequest r) => new AllocIdResponse(ids.Allocate(r.Count))),
        [PdMethods.Tso] = Handle((TsoRequest r) => new TsoResponse(tso.Next(r.Count))),
        [PdMethods.GetBootstrapRegion] = Handle((GetBootstrapRegionRequest r) =>
            new GetBootstrapRegionResponse(bootstrapper.RegionFor(r.StoreId))),
        [PdMethods.StoreHeartbeat] = Handle((StoreHeartbeatRequest r) =>
        {
            stores.Heartbeat(r.StoreId, r.Stats);
            return new StoreHeartbeatResponse(clusterId());
        }),
        [PdMethods.RegionHeartbeat] = Handle<RegionHeartbeatRequest, RegionHeartbeatResponse>(new RegionHeartbeatHandler(regions, operators).Handle),
        [PdMethods.GetRegion] = Handle((GetRegionRequest r) => regions.GetByKey(Required(r.Key, "key"))),
        [PdMethods.GetRegionById] = Handle((GetRegionByIdRequest r) => regions.GetById(r.RegionId)),
        [PdMethods.ScanRegions] = Handle((ScanRegionsRequest r) =>
        {
            if (r.Limit is < 1 or > MaxScanLimit)
            {
                throw new ArgumentException($"scan limit must be between 1 and {MaxScanLimit}, not {r.Limit}", nameof(r));
            }
            return new ScanRegionsResponse(regions.Scan(Required(r.StartKey, "start key"), Required(r.EndKey, "end key"), r.Limit));
        }),
        [PdMethods.ReportSplit] = Handle((ReportSplitRequest r) =>
        {
            foreach (var region in Required(r.Regions, "regions"))
            {
                regions.Put(region); // A stale one changes nothing; the others are recorded in order.
            }
            return new ReportSplitResponse();
        }),
        [PdMethods.GetGcSafePoint] = Handle((GetGcSafePointRequest _) => new GcSafePointResponse(gc.SafePoint)),
        [PdMethods.UpdateGcSafePoint] = Handle((UpdateGcSafePointRequest r) => new GcSafePointResponse(gc.Update(r.SafePoint))),
        [PdMethods.UpdateServiceSafePoint] = Handle((UpdateServiceSafePointRequest r) =>
            gc.UpdateService(Required(r.ServiceId, "service id"), r.SafePoint, r.TtlSeconds)),
    };

    /// <summary>Wraps a synchronous method (every PD method is: in-memory work plus, at most, one fsync) as
    /// an RPC handler that decodes and validates its request and encodes its answer. Internal so the benchmarks
    /// time a method the way the RPC server runs it.</summary>
    internal static RpcHandler Handle<TRequest, TResponse>(Func<TRequest, TResponse> method) where TRequest : class =>
        (body, cancellation) =>
        {
            cancellation.ThrowIfCancellationRequested();
            return ValueTask.FromResult(ProtocolSerializer.Serialize(method(Decode<TRequest>(body))));
        };

    private static T Decode<T>(ReadOnlyMemory<byte> body) where T : class
    {
        try
        {
            return ProtocolSerializer.Deserialize<T>(new ReadOnlySequence<byte>(body))
                ?? throw new ArgumentException($"empty {typeof(T).Name}");
        }
        catch (MessagePackSerializationException e)
        {
            throw new ArgumentException($"malformed {typeof(T).Name}: {e.Message}", e);
        }
    }

    private static T Required<T>(T? value, string what) where T : class =>
        value ?? throw new ArgumentException($"{what} is missing");
}
