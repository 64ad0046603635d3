namespace MultiRaft.Protocol.Kv;

/// <summary>The RPC method names of a store's client KV service.</summary>
public static class KvMethods
{
    /// <summary><see cref="GetRequest"/> → <see cref="GetResponse"/>.</summary>
    public const string Get = "kv.get";

    /// <summary><see cref="BatchGetRequest"/> → <see cref="BatchGetResponse"/>.</summary>
    public const string BatchGet = "kv.batch_get";

    /// <summary><see cref="ScanRequest"/> → <see cref="ScanResponse"/>.</summary>
    public const string Scan = "kv.scan";

    /// <summary><see cref="PutRequest"/> → <see cref="WriteResponse"/>.</summary>
    public const string Put = "kv.put";

    /// <summary><see cref="BatchPutRequest"/> → <see cref="WriteResponse"/>.</summary>
    public const string BatchPut = "kv.batch_put";

    /// <summary><see cref="StoreBatchGetRequest"/> → <see cref="StoreBatchGetResponse"/>: batch gets of several
    /// regions led by one store, in one request (each answered as its own BatchGet).</summary>
    public const string StoreBatchGet = "kv.store_batch_get";

    /// <summary><see cref="StoreBatchPutRequest"/> → <see cref="StoreBatchPutResponse"/>: batch puts of several
    /// regions led by one store, in one request (each applied, or refused, as its own BatchPut).</summary>
    public const string StoreBatchPut = "kv.store_batch_put";

    /// <summary><see cref="DeleteRequest"/> → <see cref="WriteResponse"/>.</summary>
    public const string Delete = "kv.delete";

    /// <summary><see cref="DeleteRangeRequest"/> → <see cref="WriteResponse"/>.</summary>
    public const string DeleteRange = "kv.delete_range";

    /// <summary><see cref="CompareAndSwapRequest"/> → <see cref="CompareAndSwapResponse"/>.</summary>
    public const string CompareAndSwap = "kv.cas";
}
