using System.CommandLine;
using MultiRaft.Store;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Cli;

/// <summary><c>multiraft store</c>: one store process.</summary>
internal static class StoreCommand
{
    public static Command Create()
    {
        var pd = CliDefaults.PdOption();
        var listen = new Option<string>("--listen") { Description = "address to serve on (Raft, snapshots and client RPC), host:port", Required = true };
        var data = new Option<string>("--data") { Description = "data directory (created if missing)", Required = true };
        var advertise = new Option<string?>("--advertise") { Description = "address other processes use to reach this store (default: --listen)" };
        var status = new Option<string?>("--status") { Description = "address of the HTTP status server (/metrics, /regions), host:port (default: none)" };
        var command = new Command("store", """
            Run a store: the region replicas this data directory holds, serving Raft traffic and client requests
            on one port and reporting to PD. A restarted store recovers every region from its directory.
            Example: multiraft store --pd 127.0.0.1:2379 --listen 127.0.0.1:20160 --data ./data/store1 --status 127.0.0.1:20180
            """)
        {
            pd, listen, data, advertise, status,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            StoreOptions options;
            try
            {
                options = new StoreOptions
                {
                    DataDirectory = parse.GetValue(data)!,
                    Listen = CliDefaults.ParseEndpoint(parse.GetValue(listen)!, "--listen"),
                    AdvertiseAddress = parse.GetValue(advertise),
                    PdEndpoints = PdClient.ParseEndpoints(parse.GetValue(pd)!),
                    StatusListen = parse.GetValue(status) is { } statusText ? CliDefaults.ParseEndpoint(statusText, "--status") : null,
                };
                options.Validate();
            }
            catch (ArgumentException e)
            {
                return CliDefaults.Fail(e.Message, 2);
            }
            using var logging = CliDefaults.Logging();
            return await RunAsync(options with { LoggerFactory = logging }).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(StoreOptions options)
    {
        using var stop = new ShutdownSignal();
        StoreServer store;
        try
        {
            store = await StoreServer.StartAsync(options, stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException or InvalidOperationException or IOException)
        {
            return CliDefaults.Fail($"the store could not start: {e.Message}");
        }
        await using (store.ConfigureAwait(false))
        {
            var statusNote = store.StatusEndpoint is { } statusEndpoint ? $", status on http://{statusEndpoint}" : "";
            Console.WriteLine($"store {store.StoreId} of cluster {store.ClusterId} listening on {store.Endpoint}{statusNote}");
            await Task.WhenAny(Task.Delay(Timeout.Infinite, stop.Token), store.Stopped).ConfigureAwait(false);
        }
        return store.Stopped.IsFaulted ? CliDefaults.Fail($"the store failed: {store.Stopped.Exception!.InnerException!.Message}") : 0;
    }
}
