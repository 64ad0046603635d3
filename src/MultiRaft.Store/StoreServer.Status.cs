using System.Net;
using MultiRaft.Store.Status;

namespace MultiRaft.Store;

/// <summary>The store's metrics and, when <see cref="StoreOptions.StatusListen"/> is set, its status server:
/// <c>/metrics</c> (Prometheus text) and <c>/regions</c> (JSON).</summary>
public sealed partial class StoreServer
{
    private StoreMetrics? _metrics;
    private PrometheusExporter? _exporter;
    private StatusServer? _status;

    /// <summary>Where the status server listens (the bound port when the options asked for port 0), or null
    /// when the store runs without one.</summary>
    public IPEndPoint? StatusEndpoint => _status?.LocalEndPoint;

    /// <summary>This store's instruments; the exporter attaches before anything records, so no measurement
    /// is missed.</summary>
    private StoreMetrics NewMetrics()
    {
        var metrics = _metrics = new StoreMetrics(StoreId);
        metrics.Observe(() => RegionCount, () => LeaderCount, () => DroppedMessages, () => SnapshotsInstalled);
        if (_options.StatusListen is not null)
        {
            _exporter = new PrometheusExporter(metrics.Meter);
        }
        return metrics;
    }

    private void StartStatus()
    {
        if (_options.StatusListen is not { } listen || _exporter is not { } exporter)
        {
            return;
        }
        var routes = new Dictionary<string, StatusRoute>(StringComparer.Ordinal)
        {
            ["/metrics"] = new(PrometheusText.ContentType, () => System.Text.Encoding.UTF8.GetBytes(exporter.Render())),
            ["/regions"] = new(RegionsJson.ContentType, () => RegionsJson.Render(_peers.All)),
        };
        var status = new StatusServer(listen, routes, _logger);
        try
        {
            status.Start();
        }
        catch (System.Net.Sockets.SocketException)
        {
            _exporter = null;
            exporter.Dispose();
            throw;
        }
        _status = status;
    }

    private async Task StopStatusAsync()
    {
        if (_status is not null)
        {
            await _status.DisposeAsync().ConfigureAwait(false);
        }
        _exporter?.Dispose();
        _metrics?.Dispose();
    }
}
