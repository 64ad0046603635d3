using Microsoft.Extensions.Logging;
using MultiRaft.PlacementDriver.Storage;

namespace MultiRaft.PlacementDriver;

/// <summary>
/// Writes changed regions to the metadata store every flush interval, as one durable write. Coalescing
/// this way means a region that changes many times in an interval is written once, and 100,000 regions are
/// never rewritten because one of them moved. A crash loses at most one interval of region changes, which
/// their leaders report again.
/// </summary>
internal sealed class RegionFlusher : IAsyncDisposable
{
    private readonly RegionRegistry _regions;
    private readonly MetadataStore _metadata;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RegionFlusher(RegionRegistry regions, MetadataStore metadata, TimeSpan interval, ILogger logger)
    {
        _regions = regions;
        _metadata = metadata;
        _interval = interval;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Writes whatever changed now (also used at shutdown, so a clean stop loses nothing).</summary>
    public void Flush()
    {
        var records = _regions.TakeDirty();
        try
        {
            _metadata.Write(records);
        }
        catch
        {
            _regions.MarkDirty(records); // Not written: try again next time rather than forget them.
            throw;
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    Flush();
                }
                catch (IOException e)
                {
                    // Kept dirty: the next tick tries again.
                    _logger.LogError(e, "Persisting region changes failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        Flush();
    }
}
