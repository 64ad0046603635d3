using MultiRaft.Protocol;
using MultiRaft.Protocol.Kv;

namespace MultiRaft.Client;

public sealed partial class RawKvClient
{
    /// <summary>
    /// Reads many keys at once: the pairs found, in <b>request order</b> (absent keys are left out; a key
    /// asked for twice is answered twice). Each region's part is a linearizable read of that region; the parts
    /// are read concurrently, not at one instant.
    /// </summary>
    public async Task<IReadOnlyList<KvEntry>> BatchGetAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var items = new List<IndexedKey>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            items.Add(new IndexedKey(i, CheckKey(keys[i], $"keys[{i}]")));
        }
        var found = new byte[]?[keys.Count];
        await RunBatchAsync(items, k => k.Key, k => k.Key.Length, isWrite: false, async (store, context, chunk, token) =>
        {
            var request = new BatchGetRequest(context, chunk.ConvertAll(k => k.Key).ToArray());
            var answer = await CallAsync<BatchGetRequest, BatchGetResponse>(store, KvMethods.BatchGet, request, token).ConfigureAwait(false);
            if (answer.Error is null)
            {
                var values = MatchInRequestOrder(chunk.ConvertAll(k => k.Key), answer.Pairs);
                for (var i = 0; i < chunk.Count; i++)
                {
                    found[chunk[i].Index] = values[i];
                }
            }
            return answer.Error;
        }, "batch get", cancellation).ConfigureAwait(false);
        var pairs = new List<KvEntry>();
        for (var i = 0; i < found.Length; i++)
        {
            if (found[i] is { } value)
            {
                pairs.Add(new KvEntry(keys[i], value));
            }
        }
        return pairs;
    }

    /// <summary>
    /// Writes many pairs. <b>Atomic per region only</b>: the pairs of one request to one region are applied
    /// together or not at all, but requests to different regions (and the parts of a batch larger than the
    /// per-request limits) succeed or fail independently, so a failure can leave some regions written.
    /// A key given twice is written once, with its last value. If some requests were sent without an answer,
    /// <see cref="UnknownOutcomeException"/> says how many keys are in doubt (those are never re-sent); if the
    /// deadline passes first, <see cref="ClusterUnavailableException"/> says how many were written.
    /// </summary>
    public async Task BatchPutAsync(IReadOnlyList<KvEntry> pairs, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var last = new Dictionary<byte[], int>(pairs.Count, ByteArrayComparer.Instance);
        for (var i = 0; i < pairs.Count; i++)
        {
            var pair = pairs[i] ?? throw new KvInvalidArgumentException($"pairs[{i}] is null");
            CheckKey(pair.Key, $"pairs[{i}].Key");
            CheckValue(pair.Value ?? throw new KvInvalidArgumentException($"pairs[{i}].Value is null"), $"pairs[{i}].Value");
            last[pair.Key] = i;
        }
        var items = new List<KvEntry>(last.Count);
        for (var i = 0; i < pairs.Count; i++)
        {
            if (last[pairs[i].Key] == i)
            {
                items.Add(pairs[i]);
            }
        }
        await RunBatchAsync(items, p => p.Key, p => p.Key.Length + (long)p.Value.Length, isWrite: true, async (store, context, chunk, token) =>
        {
            var answer = await CallAsync<BatchPutRequest, WriteResponse>(store, KvMethods.BatchPut, new BatchPutRequest(context, [.. chunk]), token).ConfigureAwait(false);
            return answer.Error;
        }, "batch put", cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes every key in <c>[start, end)</c> (empty start: from the first key; empty end: to the last), one
    /// DeleteRange per region, region after region in key order. <b>Atomic per region, not across regions</b>:
    /// if it fails part way, the regions before the failure point are cleared and the rest are not (the
    /// exception names the point).
    /// </summary>
    public async Task DeleteRangeAsync(byte[] start, byte[] end, CancellationToken cancellation = default)
    {
        CheckRange(start, end);
        var from = start.Length == 0 ? [0] : start; // No key is empty, so [0] is the smallest there can be.
        while (end.Length == 0 || from.AsSpan().SequenceCompareTo(end) < 0)
        {
            var current = from;
            byte[] regionEnd;
            try
            {
                regionEnd = await RunAsync(current, isWrite: true, async (store, region, context, token) =>
                {
                    var stop = ClipEnd(end, region.Region.EndKey);
                    var answer = await CallAsync<DeleteRangeRequest, WriteResponse>(store, KvMethods.DeleteRange, new DeleteRangeRequest(context, current, stop), token).ConfigureAwait(false);
                    return (answer.Error, region.Region.EndKey);
                }, cancellation).ConfigureAwait(false);
            }
            catch (UnknownOutcomeException e) when (current != start)
            {
                throw new UnknownOutcomeException($"delete range: keys before {Describe(current)} were deleted; from there on the outcome is unknown: {e.Message}", e);
            }
            catch (ClusterUnavailableException e) when (current != start)
            {
                throw new ClusterUnavailableException($"delete range: keys before {Describe(current)} were deleted, the rest not: {e.Message}", e);
            }
            if (regionEnd.Length == 0)
            {
                break;
            }
            from = regionEnd;
        }
    }

    /// <summary>The end of a request's range within a region: the smaller of the two ends (empty = +inf).</summary>
    private static byte[] ClipEnd(byte[] end, byte[] regionEnd)
    {
        if (regionEnd.Length == 0)
        {
            return end;
        }
        return end.Length == 0 || end.AsSpan().SequenceCompareTo(regionEnd) > 0 ? regionEnd : end;
    }

    private readonly record struct IndexedKey(int Index, byte[] Key);
}
