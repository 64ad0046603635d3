using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using MultiRaft.PlacementDriver;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Cli;

/// <summary><c>multiraft pd</c>: runs a placement driver until Ctrl+C or SIGTERM.</summary>
internal static class PdCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to serve on", DefaultValueFactory = _ => "127.0.0.1:2379" };
        var data = new Option<string>("--data") { Description = "directory for PD's metadata (created if missing)", Required = true };
        var http = new Option<string?>("--http") { Description = "HOST:PORT for the HTTP API the ops commands use (default: none)" };
        var maxReplicas = new Option<int>("--max-replicas") { Description = "replicas per region; the cluster bootstraps once this many stores are up", DefaultValueFactory = _ => 3 };
        var command = new Command("pd", """
            Run a placement driver: cluster id, id allocator, timestamp oracle, store and region registries and
            routing, persisted under --data. Stops cleanly on Ctrl+C or SIGTERM.
            Example: multiraft pd --listen 127.0.0.1:2379 --data ./pd
            """)
        {
            listen, data, maxReplicas, http,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            IPEndPoint endpoint;
            try
            {
                var endpoints = PdClient.ParseEndpoints(parse.GetValue(listen)!);
                endpoint = endpoints.Count == 1 ? endpoints[0] : throw new ArgumentException("--listen takes one HOST:PORT");
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"error: --listen: {e.Message}");
                return 2;
            }
            var replicas = parse.GetValue(maxReplicas);
            if (replicas < 1)
            {
                Console.Error.WriteLine("error: --max-replicas must be at least 1");
                return 2;
            }
            IPEndPoint? httpEndpoint = null;
            try
            {
                httpEndpoint = parse.GetValue(http) is { } httpText ? CliDefaults.ParseEndpoint(httpText, "--http") : null;
            }
            catch (ArgumentException e)
            {
                return CliDefaults.Fail(e.Message, 2);
            }
            using var logging = CliDefaults.Logging();
            var options = new PdServerOptions
            {
                Listen = endpoint,
                HttpListen = httpEndpoint,
                DataDirectory = parse.GetValue(data)!,
                MaxReplicas = replicas,
                Logger = logging.CreateLogger("MultiRaft.PD"),
            };
            return await RunAsync(options).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(PdServerOptions options)
    {
        using var stop = new ShutdownSignal();
        PdServer server;
        try
        {
            server = await PdServer.StartAsync(options, stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            return CliDefaults.Fail($"PD could not start: {e.Message}");
        }
        await using (server.ConfigureAwait(false))
        {
            Console.WriteLine($"PD of cluster {server.ClusterId} listening on {server.Endpoint}, data in {Path.GetFullPath(options.DataDirectory)} (Ctrl+C to stop)");
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Console.WriteLine("stopping PD");
        }
        return 0;
    }
}
