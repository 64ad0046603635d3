using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace MultiRaft.Cli;

/// <summary><c>multiraft up</c>: PD and a few stores on loopback in this process — the embedded default
/// cluster. A second <c>up</c> over the same directory resumes the same cluster.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var stores = new Option<int>("--stores") { Description = "how many stores", DefaultValueFactory = _ => 3 };
        var data = new Option<string>("--data") { Description = "data directory of the whole cluster", DefaultValueFactory = _ => "./data" };
        var pdPort = new Option<int>("--pd-port") { Description = "PD's port", DefaultValueFactory = _ => CliDefaults.PdPort };
        var storePort = new Option<int>("--store-port") { Description = "first store's port; the others follow it", DefaultValueFactory = _ => CliDefaults.FirstStorePort };
        var statusPort = new Option<int>("--status-port")
        {
            Description = "first store's HTTP status port (/metrics, /regions); the others follow it; 0: no status servers",
            DefaultValueFactory = _ => CliDefaults.FirstStatusPort,
        };
        var verbose = new Option<bool>("--verbose") { Description = "log every server event, not only warnings" };
        var command = new Command("up", """
            Start a local cluster on loopback: PD and --stores stores (3 replicas per region), with data under
            --data. Prints where everything listens; Ctrl+C stops it cleanly. Running it again over the same
            directory resumes the same cluster with its data.
            Example: multiraft up --stores 3 --data ./data
            """)
        {
            stores, data, pdPort, storePort, statusPort, verbose,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var count = parse.GetValue(stores);
            var firstPort = parse.GetValue(storePort);
            var pd = parse.GetValue(pdPort);
            var firstStatusPort = parse.GetValue(statusPort);
            var error = count is < 1 or > 16 ? "--stores must be between 1 and 16"
                : pd is < 1 or > 65535 ? "--pd-port must be a port number"
                : firstPort < 1 || firstPort + count - 1 > 65535 ? "--store-port must leave room for every store's port"
                : firstStatusPort < 0 || firstStatusPort + count - 1 > 65535 ? "--status-port must leave room for every store's status port"
                : null;
            if (error is not null)
            {
                return CliDefaults.Fail(error, 2);
            }
            using var logging = CliDefaults.Logging(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            return await RunAsync(Path.GetFullPath(parse.GetValue(data)!), count, pd, firstPort, firstStatusPort, logging).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(string directory, int storeCount, int pdPort, int firstStorePort, int firstStatusPort, ILoggerFactory logging)
    {
        using var stop = new ShutdownSignal();
        LocalCluster? cluster = null;
        try
        {
            cluster = await LocalCluster.StartAsync(new LocalClusterOptions
            {
                Directory = directory,
                Stores = storeCount,
                PdPort = pdPort,
                FirstStorePort = firstStorePort,
                FirstStatusPort = firstStatusPort == 0 ? null : firstStatusPort,
                Logging = logging,
            }, stop.Token).ConfigureAwait(false);
            var pd = cluster.Pd;
            Console.WriteLine($"pd       cluster {pd.ClusterId} listening on {pd.Endpoint}, HTTP API http://{pd.HttpEndpoint}, data {cluster.PdDirectory}");
            for (var i = 0; i < cluster.Stores.Count; i++)
            {
                var store = cluster.Stores[i];
                var status = store.StatusEndpoint is { } statusEndpoint ? $", status http://{statusEndpoint}" : "";
                Console.WriteLine($"store {store.StoreId,-3} listening on {store.Endpoint}{status}, data {cluster.StoreDirectory(i)}");
            }
            Console.WriteLine($"cluster is up; try: multiraft kv put hello world --pd {pd.Endpoint}   (Ctrl+C stops it)");
            await Task.WhenAny([Task.Delay(Timeout.Infinite, stop.Token), .. cluster.Stores.Select(s => s.Stopped)]).ConfigureAwait(false);
            var failed = cluster.Stores.FirstOrDefault(s => s.Stopped.IsFaulted);
            return failed is null ? 0 : CliDefaults.Fail($"store {failed.StoreId} failed: {failed.Stopped.Exception!.InnerException!.Message}");
        }
        catch (OperationCanceledException) when (stop.IsRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.Net.Sockets.SocketException or Transport.Rpc.RpcConnectionException)
        {
            return CliDefaults.Fail($"the cluster could not start: {e.Message}");
        }
        finally
        {
            Console.WriteLine("stopping...");
            if (cluster is not null)
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
