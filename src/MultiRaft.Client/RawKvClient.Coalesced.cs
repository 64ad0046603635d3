using MultiRaft.Protocol.Kv;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client;

/// <summary>The batch requests that carry coalesced Get and Put calls (see <see cref="RequestCoalescer{TItem, TResult}"/>).</summary>
public sealed partial class RawKvClient
{
    private async Task<(RegionError? Error, bool[] Results)> SendPutsAsync(RpcClient store, RegionContext context, List<KvEntry> pairs)
    {
        // A key given twice is applied in order, so the later call's value wins, as if it had come second.
        var answer = await CallAsync<BatchPutRequest, WriteResponse>(store, KvMethods.BatchPut, new BatchPutRequest(context, [.. pairs]), CancellationToken.None).ConfigureAwait(false);
        return (answer.Error, answer.Error is null ? new bool[pairs.Count] : []);
    }

    private async Task<(RegionError? Error, byte[]?[] Results)> SendGetsAsync(RpcClient store, RegionContext context, List<byte[]> keys)
    {
        var answer = await CallAsync<BatchGetRequest, BatchGetResponse>(store, KvMethods.BatchGet, new BatchGetRequest(context, [.. keys]), CancellationToken.None).ConfigureAwait(false);
        return (answer.Error, answer.Error is null ? MatchInRequestOrder(keys, answer.Pairs) : []);
    }

    /// <summary>The value of each key asked for, from a BatchGet answer: the store answers in request order and
    /// leaves out absent keys.</summary>
    private static byte[]?[] MatchInRequestOrder(List<byte[]> keys, KvEntry[] pairs)
    {
        var values = new byte[]?[keys.Count];
        var next = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            if (next < pairs.Length && pairs[next].Key.AsSpan().SequenceEqual(keys[i]))
            {
                values[i] = pairs[next++].Value;
            }
        }
        return values;
    }
}
