using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client;

/// <summary>The requests that carry coalesced Get and Put calls (see <see cref="RequestCoalescer{TItem, TResult}"/>):
/// one store batch per store, one part per region.</summary>
public sealed partial class RawKvClient
{
    private async Task<(RegionError? Error, bool Result)[]> SendPutsAsync(RpcClient store, List<(RegionContext Context, KvEntry Item)> items)
    {
        var regions = ByRegion(items);
        // A key given twice is applied in order, so the later call's value wins, as if it had come second.
        var parts = regions.ConvertAll(r => new BatchPutRequest(r.Context, [.. r.Indexes.Select(i => items[i].Item)]));
        // One region (the common case under a skewed or single-region load): its own request, no wrapping.
        var answered = parts.Count == 1
            ? [await CallAsync<BatchPutRequest, WriteResponse>(store, KvMethods.BatchPut, parts[0], CancellationToken.None).ConfigureAwait(false)]
            : (await CallAsync<StoreBatchPutRequest, StoreBatchPutResponse>(store, KvMethods.StoreBatchPut, new StoreBatchPutRequest([.. parts]), CancellationToken.None).ConfigureAwait(false)).Parts;
        var answers = new (RegionError?, bool)[items.Count];
        for (var r = 0; r < regions.Count; r++)
        {
            var error = Part(answered, r, regions.Count).Error;
            foreach (var i in regions[r].Indexes)
            {
                answers[i] = (error, true);
            }
        }
        return answers;
    }

    private async Task<(RegionError? Error, byte[]? Result)[]> SendGetsAsync(RpcClient store, List<(RegionContext Context, byte[] Item)> items)
    {
        var regions = ByRegion(items);
        var parts = regions.ConvertAll(r => new BatchGetRequest(r.Context, [.. r.Indexes.Select(i => items[i].Item)]));
        var answered = parts.Count == 1
            ? [await CallAsync<BatchGetRequest, BatchGetResponse>(store, KvMethods.BatchGet, parts[0], CancellationToken.None).ConfigureAwait(false)]
            : (await CallAsync<StoreBatchGetRequest, StoreBatchGetResponse>(store, KvMethods.StoreBatchGet, new StoreBatchGetRequest([.. parts]), CancellationToken.None).ConfigureAwait(false)).Parts;
        var answers = new (RegionError?, byte[]?)[items.Count];
        for (var r = 0; r < regions.Count; r++)
        {
            var part = Part(answered, r, regions.Count);
            var values = part.Error is null ? MatchInRequestOrder(parts[r].Keys, part.Pairs) : null;
            for (var k = 0; k < regions[r].Indexes.Count; k++)
            {
                answers[regions[r].Indexes[k]] = (part.Error, values?[k]);
            }
        }
        return answers;
    }

    /// <summary>The items' positions grouped by region (and epoch), in order of first appearance.</summary>
    private static List<(RegionContext Context, List<int> Indexes)> ByRegion<TItem>(List<(RegionContext Context, TItem Item)> items)
    {
        var groups = new List<(RegionContext Context, List<int> Indexes)>();
        for (var i = 0; i < items.Count; i++)
        {
            var g = groups.FindIndex(x => x.Context == items[i].Context);
            if (g < 0)
            {
                groups.Add((items[i].Context, []));
                g = groups.Count - 1;
            }
            groups[g].Indexes.Add(i);
        }
        return groups;
    }

    /// <summary>Part <paramref name="index"/> of a store batch's answer; an answer with the wrong number of
    /// parts is a malformed answer, and fails the call like any other.</summary>
    private static T Part<T>(T[]? parts, int index, int expected) =>
        parts is { } all && all.Length == expected && all[index] is { } part
            ? part
            : throw new RpcRemoteException(RpcStatus.Internal, $"a store batch answer with {parts?.Length ?? 0} parts for {expected}");

    /// <summary>The value of each key asked for, from a BatchGet answer: the store answers in request order and
    /// leaves out absent keys.</summary>
    private static byte[]?[] MatchInRequestOrder(IReadOnlyList<byte[]> keys, KvEntry[] pairs)
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
