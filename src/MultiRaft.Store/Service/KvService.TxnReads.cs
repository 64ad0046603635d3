using MultiRaft.Protocol.Kv;
using MultiRaft.Protocol.Txn;
using MultiRaft.Store.Txn;

namespace MultiRaft.Store.Service;

/// <summary>Snapshot reads of the transactional key space: linearizable like raw reads (same read barrier),
/// then the MVCC engine picks each key's version at the read timestamp. A lock in the way is returned, not
/// waited on: the client resolves it through its primary and reads again.</summary>
internal sealed partial class KvService
{
    private async Task<TxnReadResponse> TxnGetAsync(TxnGetRequest request, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Key(request.Key, peer.Region)
            ?? RequestChecks.Timestamp(request.ReadTs, "read");
        error ??= await ReadBarrierAsync(peer, request.Context, cancellation).ConfigureAwait(false);
        if (error is not null)
        {
            return NoRead(error);
        }
        peer.SampleKey(request.Key);
        return Answer(peer, 1, _mvcc.Get(request.Key, request.ReadTs).ToWire());
    }

    private async Task<TxnReadResponse> TxnBatchGetAsync(TxnBatchGetRequest request, CancellationToken cancellation)
    {
        var keys = request.Keys ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Keys(keys, peer.Region, "batch get")
            ?? RequestChecks.Timestamp(request.ReadTs, "read");
        error ??= await ReadBarrierAsync(peer, request.Context, cancellation).ConfigureAwait(false);
        return error is not null ? NoRead(error) : Answer(peer, keys.Length, _mvcc.BatchGet(keys, request.ReadTs).ToWire());
    }

    private async Task<TxnReadResponse> TxnScanAsync(TxnScanRequest request, CancellationToken cancellation)
    {
        var end = request.EndKey ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Scan(request.StartKey, end, request.Limit, peer.Region)
            ?? RequestChecks.Timestamp(request.ReadTs, "read");
        error ??= await ReadBarrierAsync(peer, request.Context, cancellation).ConfigureAwait(false);
        if (error is not null)
        {
            return NoRead(error);
        }
        var result = _mvcc.Scan(request.StartKey, RequestChecks.ScanEnd(end, peer.Region), request.Limit, request.ReadTs).ToWire();
        return Answer(peer, result.Pairs.Length, result);
    }

    private async Task<ScanLockResponse> ScanLockAsync(ScanLockRequest request, CancellationToken cancellation)
    {
        var start = request.StartKey is { Length: > 0 } from ? from : null;
        var error = _checks.Region(request.Context, out var peer) ?? RequestChecks.Timestamp(request.MaxTs, "maximum");
        if (error is null && start is not null)
        {
            error = _checks.Key(start, peer.Region);
        }
        if (error is null && (request.Limit < 1 || request.Limit > options.MaxBatchKeys))
        {
            error = RegionError.InvalidArgument($"a lock scan limit must be between 1 and {options.MaxBatchKeys}, not {request.Limit}");
        }
        error ??= await ReadBarrierAsync(peer, request.Context, cancellation).ConfigureAwait(false);
        if (error is not null)
        {
            return new ScanLockResponse(error, []);
        }
        var region = peer.Region;
        var locks = _mvcc.ScanLocks(start ?? region.StartKey, region.EndKey, request.MaxTs, request.Limit);
        return RequestChecks.Destroyed(peer) is { } removed ? new ScanLockResponse(removed, []) : new ScanLockResponse(null, [.. locks.Select(l => l.ToInfo())]);
    }

    private static TxnReadResponse NoRead(RegionError error) => new(error, [], []);

    private static TxnReadResponse Answer(Peers.Peer peer, int keys, TxnReadResponse response)
    {
        if (RequestChecks.Destroyed(peer) is { } removed)
        {
            return NoRead(removed);
        }
        peer.RecordRead(keys, Bytes(response.Pairs));
        return response;
    }
}
