using MultiRaft.Protocol.Kv;

namespace MultiRaft.Store.Service;

/// <summary>Batch requests of several regions in one RPC: each part runs as its own BatchGet / BatchPut, all at
/// once, and answers exactly as it would alone (so a part for a moved region fails, and the others do not).</summary>
internal sealed partial class KvService
{
    /// <summary>Parts per request: each is a region, and one store leads at most a few thousand busy ones.</summary>
    public const int MaxStoreBatchParts = 1024;

    private async Task<StoreBatchGetResponse> StoreBatchGetAsync(StoreBatchGetRequest request, CancellationToken cancellation) =>
        new(await RunPartsAsync(request.Parts, BatchGetAsync, error => new BatchGetResponse(error, []), cancellation).ConfigureAwait(false));

    private async Task<StoreBatchPutResponse> StoreBatchPutAsync(StoreBatchPutRequest request, CancellationToken cancellation) =>
        new(await RunPartsAsync(request.Parts, BatchPutAsync, error => new WriteResponse(error), cancellation).ConfigureAwait(false));

    private static async Task<TResponse[]> RunPartsAsync<TRequest, TResponse>(TRequest?[]? parts, Func<TRequest, CancellationToken, Task<TResponse>> run,
        Func<RegionError, TResponse> refuse, CancellationToken cancellation)
        where TRequest : class
    {
        parts ??= [];
        if (parts.Length > MaxStoreBatchParts)
        {
            var tooMany = refuse(RegionError.InvalidArgument($"a store batch holds {parts.Length} parts, over the limit of {MaxStoreBatchParts}"));
            return Array.ConvertAll(parts, _ => tooMany);
        }
        var running = new Task<TResponse>[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            running[i] = parts[i] is { } part ? run(part, cancellation) : Task.FromResult(refuse(RegionError.InvalidArgument("a store batch holds an empty part")));
        }
        return await Task.WhenAll(running).ConfigureAwait(false);
    }
}
