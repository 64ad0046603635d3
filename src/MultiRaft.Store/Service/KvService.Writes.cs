using MultiRaft.Protocol.Kv;
using MultiRaft.Store.Commands;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Service;

internal sealed partial class KvService
{
    private async Task<WriteResponse> PutAsync(PutRequest request, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Key(request.Key, peer.Region) ?? _checks.Value(request.Value);
        return new WriteResponse(error ?? await WriteAsync(peer, request.Context, [new WriteOp(WriteKind.Put, request.Key, request.Value)], cancellation).ConfigureAwait(false));
    }

    private async Task<WriteResponse> BatchPutAsync(BatchPutRequest request, CancellationToken cancellation)
    {
        var pairs = request.Pairs ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.BatchSize(pairs.Length, "batch put");
        var writes = new WriteOp[pairs.Length];
        long bytes = 0;
        for (var i = 0; error is null && i < pairs.Length; i++)
        {
            var pair = pairs[i];
            error = pair is null ? RegionError.InvalidArgument("a batch put holds an empty pair") : _checks.Key(pair.Key, peer.Region) ?? _checks.Value(pair.Value);
            if (error is null)
            {
                bytes += pair!.Key.Length + pair.Value.Length;
                writes[i] = new WriteOp(WriteKind.Put, pair.Key, pair.Value);
            }
        }
        error ??= _checks.CommandSize(bytes);
        return new WriteResponse(error ?? await WriteAsync(peer, request.Context, writes, cancellation).ConfigureAwait(false));
    }

    private async Task<WriteResponse> DeleteAsync(DeleteRequest request, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Key(request.Key, peer.Region);
        return new WriteResponse(error ?? await WriteAsync(peer, request.Context, [new WriteOp(WriteKind.Delete, request.Key)], cancellation).ConfigureAwait(false));
    }

    private async Task<WriteResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellation)
    {
        var end = request.EndKey ?? [];
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Range(request.StartKey, end, peer.Region);
        return new WriteResponse(error ?? await WriteAsync(peer, request.Context, [new WriteOp(WriteKind.DeleteRange, request.StartKey, EndKey: end)], cancellation).ConfigureAwait(false));
    }

    private async Task<CompareAndSwapResponse> CompareAndSwapAsync(CompareAndSwapRequest request, CancellationToken cancellation)
    {
        var error = _checks.Region(request.Context, out var peer) ?? _checks.Key(request.Key, peer.Region);
        if (error is null && request.NewValue is not null)
        {
            error = _checks.Value(request.NewValue);
        }
        if (error is null && request.ExpectedValue is not null)
        {
            error = _checks.Value(request.ExpectedValue);
        }
        if (error is not null)
        {
            return new CompareAndSwapResponse(error, false, null);
        }
        var write = new WriteOp(WriteKind.CompareAndSwap, request.Key, request.NewValue, Expected: request.ExpectedValue);
        var result = await ProposeAsync(peer, request.Context, [write], cancellation).ConfigureAwait(false);
        return new CompareAndSwapResponse(result.Error, result.Swapped, result.Previous);
    }

    private async Task<RegionError?> WriteAsync(Peer peer, RegionContext context, WriteOp[] writes, CancellationToken cancellation) =>
        (await ProposeAsync(peer, context, writes, cancellation).ConfigureAwait(false)).Error;
}
