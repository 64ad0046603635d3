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
        if (RequestChecks.Destroyed(peer) is { } destroyed)
        {
            return new GetResponse(destroyed, null);
        }
        peer.SampleKey(request.Key);
        peer.RecordRead(1, request.Key.Length + (value?.Length ?? 0));
        return new GetResponse(null, value);
    }

    private async Task<BatchGetResponse> BatchGetAsync(BatchGetRequest request, CancellationToken cancellation)
    {
        var keys = request.Keys ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Keys(keys, peer.Region, "batch get");
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
        if (RequestChecks.Destroyed(peer) is { } destroyed)
        {
            return new BatchGetResponse(destroyed, []);
        }
        peer.RecordRead(keys.Length, Bytes(pairs));
        return new BatchGetResponse(null, [.. pairs]);
    }

    private async Task<ScanResponse> ScanAsync(ScanRequest request, CancellationToken cancellation)
    {
        var end = request.EndKey ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Scan(request.StartKey, end, request.Limit, peer.Region);
        error ??= await ReadBarrierAsync(peer, request.Context, cancellation).ConfigureAwait(false);
        if (error is not null)
        {
            return new ScanResponse(error, []);
        }
        var pairs = kv.Scan(request.StartKey, RequestChecks.ScanEnd(end, peer.Region), request.Limit);
        if (RequestChecks.Destroyed(peer) is { } destroyed)
        {
            return new ScanResponse(destroyed, []);
        }
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
