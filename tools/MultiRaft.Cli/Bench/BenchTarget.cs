using Microsoft.Extensions.Logging;
using MultiRaft.Client;
using MultiRaft.Client.Txn;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.Store;

namespace MultiRaft.Cli.Bench;

/// <summary>The cluster a benchmark runs against: the one at <c>--pd</c>, or a local one it starts in a
/// temporary directory (and deletes afterwards), and a client connected to it that has seen a write succeed
/// (and a transactional one, for the workloads that ask for it).</summary>
internal sealed class BenchTarget : IAsyncDisposable
{
    private readonly ILoggerFactory _logging;
    private readonly string? _directory;
    private TxnClient? _transactions;

    private BenchTarget(string pd, LocalCluster? local, string? directory, ILoggerFactory logging, RawKvClient client)
    {
        PdAddress = pd;
        Local = local;
        _directory = directory;
        _logging = logging;
        Client = client;
    }

    public string PdAddress { get; }

    public LocalCluster? Local { get; }

    public RawKvClient Client { get; }

    /// <summary>A transactional client of the same cluster, connected on first use: only transactional
    /// workloads pay for its connections and its safe-point refreshes.</summary>
    public TxnClient Transactions => _transactions ??= TxnClient.Create(PdAddress);

    public static async Task<BenchTarget> OpenAsync(string pd, int localStores, TextWriter progress, CancellationToken cancellation,
        SchedulingOptions? scheduling = null, Func<StoreOptions, StoreOptions>? tuneStore = null)
    {
        var logging = CliDefaults.Logging(LogLevel.Warning);
        LocalCluster? local = null;
        string? directory = null;
        try
        {
            if (localStores > 0)
            {
                directory = Path.Combine(Path.GetTempPath(), "multiraft-bench", Guid.NewGuid().ToString("N"));
                local = await LocalCluster.StartAsync(new LocalClusterOptions
                {
                    Directory = directory,
                    Stores = localStores,
                    Logging = logging,
                    Scheduling = scheduling ?? new SchedulingOptions(),
                    TuneStore = tuneStore ?? (o => o),
                }, cancellation).ConfigureAwait(false);
                pd = local.PdAddress;
                progress.WriteLine($"started a local cluster: PD {pd}, {localStores} stores, data {directory}");
            }
            else
            {
                // A PD that refuses connections fails the run at once, not after the client's retries.
                await PdHttp.GetClusterAsync(pd, cancellation).ConfigureAwait(false);
            }
            var client = RawKvClient.Create(pd);
            var target = new BenchTarget(pd, local, directory, logging, client);
            await target.WaitUntilWritableAsync(local is null ? TimeSpan.Zero : TimeSpan.FromSeconds(60), cancellation).ConfigureAwait(false);
            return target;
        }
        catch
        {
            if (local is not null)
            {
                await local.DisposeAsync().ConfigureAwait(false);
            }
            logging.Dispose();
            throw;
        }
    }

    /// <summary>A fresh cluster elects its first leader within seconds: wait (up to <paramref name="patience"/>)
    /// for a write to go through, so the load phase and the warm-up do not start against a cluster that cannot
    /// answer yet.</summary>
    private async Task WaitUntilWritableAsync(TimeSpan patience, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                await Client.PutAsync("bench-probe"u8.ToArray(), [1], cancellation).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is ClusterUnavailableException or KvTimeoutException or UnknownOutcomeException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, cancellation).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_transactions is not null)
        {
            await _transactions.DisposeAsync().ConfigureAwait(false);
        }
        await Client.DisposeAsync().ConfigureAwait(false);
        if (Local is not null)
        {
            await Local.DisposeAsync().ConfigureAwait(false);
        }
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
        _logging.Dispose();
    }
}
