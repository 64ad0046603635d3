using MultiRaft.Protocol.Kv;

namespace MultiRaft.Store.Service;

internal sealed partial class KvService
{
    private async Task<GetResponse> GetAsync(GetRequest request, CancellationToken cancellation)
    {
        if ((_checks.Region(request.Context, out var peer) ?? _checks.Key(request.Key, peer.Region)) is { } error)
        {
            return new GetResponse(error, null);
        }
        if (await ReadBarrierAsync(peer, request.Context, cancellation).ConfigureAwait(false) is { } readError)
        {
            return new GetResponse(readError, null);
        }
        var value = kv.Get(request.Key);
        peer.SampleKey(request.Key);
        peer.RecordRead(1, request.Key.Length + (value?.Length ?? 0));
        return new GetResponse(null, value);
    }

    private async Task<BatchGetResponse> BatchGetAsync(BatchGetRequest request, CancellationToken cancellation)
    {
        var keys = request.Keys ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.BatchSize(keys.Length, "batch get");
        for (var i = 0; error is null && i < keys.Length; i++)
        {
            error = _checks.Key(keys[i], peer.Region);
        }
        error ??= await ReadBarrierAsync(peer, request.Context, cancellation).ConfigureAwait(false);
        if (error is not null)
        {
            return new BatchGetResponse(error, []);
        }
        var pairs = new List<KvEntry>(keys.Length);
        foreach (var key in keys)
        {
            if (kv.Get(key) is { } value)
            {
                pairs.Add(new KvEntry(key, value));
            }
        }
        peer.RecordRead(keys.Length, Bytes(pairs));
        return new BatchGetResponse(null, [.. pairs]);
    }

    private async Task<ScanResponse> ScanAsync(ScanRequest request, CancellationToken cancellation)
    {
        var end = request.EndKey ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Key(request.StartKey, peer.Region);
        if (error is null && (request.Limit < 1 || request.Limit > options.MaxBatchKeys))
        {
            error = RegionError.InvalidArgument($"a scan limit must be between 1 and {options.MaxBatchKeys}, not {request.Limit}");
        }
        if (error is null && end.Length > 0 && end.AsSpan().SequenceCompareTo(request.StartKey) <= 0)
        {
            error = RegionError.InvalidArgument("the end key must be after the start key");
        }
        error ??= await ReadBarrierAsync(peer, request.Context, cancellation).ConfigureAwait(false);
        if (error is not null)
        {
            return new ScanResponse(error, []);
        }
        // A scan never reads past its region: the caller continues in the next region.
        var regionEnd = peer.Region.EndKey;
        if (regionEnd.Length > 0 && (end.Length == 0 || end.AsSpan().SequenceCompareTo(regionEnd) > 0))
        {
            end = regionEnd;
        }
        var pairs = kv.Scan(request.StartKey, end, request.Limit);
        var entries = new KvEntry[pairs.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new KvEntry(pairs[i].Key, pairs[i].Value);
        }
        peer.RecordRead(entries.Length, Bytes(entries));
        return new ScanResponse(null, entries);
    }

    private static long Bytes(IEnumerable<KvEntry> pairs)
    {
        long bytes = 0;
        foreach (var pair in pairs)
        {
            bytes += pair.Key.Length + pair.Value.Length;
        }
        return bytes;
    }
}
