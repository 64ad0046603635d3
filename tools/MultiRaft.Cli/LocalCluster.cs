using System.Net;
using Microsoft.Extensions.Logging;
using MultiRaft.PlacementDriver;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.Store;

namespace MultiRaft.Cli;

/// <summary>Where a <see cref="LocalCluster"/> keeps its data and listens. Port 0 picks a free port.</summary>
internal sealed record LocalClusterOptions
{
    public required string Directory { get; init; }

    public int Stores { get; init; } = 3;

    public int PdPort { get; init; }

    /// <summary>The first store's port; the others follow it (0: every store takes a free port).</summary>
    public int FirstStorePort { get; init; }

    /// <summary>The first store's status port; the others follow it (null: no status servers).</summary>
    public int? FirstStatusPort { get; init; }

    public SchedulingOptions Scheduling { get; init; } = new();

    /// <summary>Adjusts every store's options (the benchmark reports busy regions more often).</summary>
    public Func<StoreOptions, StoreOptions> TuneStore { get; init; } = o => o;

    public required ILoggerFactory Logging { get; init; }
}

/// <summary>PD (with its HTTP API) and a few stores on loopback in this process: what <c>multiraft up</c> runs
/// and what <c>multiraft bench --local</c> measures against. Disposing stops the stores, then PD.</summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _servers = [];

    private LocalCluster(LocalClusterOptions options) => Options = options;

    public LocalClusterOptions Options { get; }

    public PdServer Pd { get; private set; } = null!;

    public List<StoreServer> Stores { get; } = [];

    public string PdAddress => Pd.Endpoint.ToString();

    public static async Task<LocalCluster> StartAsync(LocalClusterOptions options, CancellationToken cancellation)
    {
        var cluster = new LocalCluster(options);
        try
        {
            await cluster.StartServersAsync(cancellation).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public string StoreDirectory(int index) => Path.Combine(Options.Directory, $"store{index + 1}");

    public string PdDirectory => Path.Combine(Options.Directory, "pd");

    private async Task StartServersAsync(CancellationToken cancellation)
    {
        var pdEndpoint = new IPEndPoint(IPAddress.Loopback, Options.PdPort);
        Pd = await PdServer.StartAsync(new PdServerOptions
        {
            Listen = pdEndpoint,
            HttpListen = new IPEndPoint(IPAddress.Loopback, Options.PdPort == 0 ? 0 : Options.PdPort + 1),
            DataDirectory = PdDirectory,
            MaxReplicas = Math.Min(3, Options.Stores),
            Scheduling = Options.Scheduling,
            Logger = Options.Logging.CreateLogger("MultiRaft.PD"),
        }, cancellation).ConfigureAwait(false);
        _servers.Add(Pd);
        for (var i = 0; i < Options.Stores; i++)
        {
            var store = await StoreServer.StartAsync(Options.TuneStore(new StoreOptions
            {
                DataDirectory = StoreDirectory(i),
                Listen = new IPEndPoint(IPAddress.Loopback, Options.FirstStorePort == 0 ? 0 : Options.FirstStorePort + i),
                PdEndpoints = [Pd.Endpoint],
                StatusListen = Options.FirstStatusPort is { } status ? new IPEndPoint(IPAddress.Loopback, status == 0 ? 0 : status + i) : null,
                LoggerFactory = Options.Logging,
            }), cancellation).ConfigureAwait(false);
            _servers.Add(store);
            Stores.Add(store);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _servers.Count - 1; i >= 0; i--)
        {
            await _servers[i].DisposeAsync().ConfigureAwait(false);
        }
        _servers.Clear();
    }
}
