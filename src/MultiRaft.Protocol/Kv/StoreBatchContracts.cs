using MessagePack;

namespace MultiRaft.Protocol.Kv;

/// <summary>Batch requests of several regions sent to the store that leads them, in one RPC (TiKV's batch
/// commands): a client with load spread over many regions pays one request per store instead of one per
/// region. Each part succeeds or fails on its own, exactly as it would alone.</summary>
[MessagePackObject]
public sealed record StoreBatchGetRequest([property: Key(0)] BatchGetRequest[] Parts);

/// <summary>One answer per part, in request order.</summary>
[MessagePackObject]
public sealed record StoreBatchGetResponse([property: Key(0)] BatchGetResponse[] Parts);

[MessagePackObject]
public sealed record StoreBatchPutRequest([property: Key(0)] BatchPutRequest[] Parts);

/// <summary>One answer per part, in request order.</summary>
[MessagePackObject]
public sealed record StoreBatchPutResponse([property: Key(0)] WriteResponse[] Parts);
