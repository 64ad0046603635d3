using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
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
        var maxReplicas = new Option<int>("--max-replicas") { Description = "replicas per region; the cluster bootstraps once this many stores are up", DefaultValueFactory = _ => 3 };
        var command = new Command("pd", """
            Run a placement driver: cluster id, id allocator, timestamp oracle, store and region registries and
            routing, persisted under --data. Stops cleanly on Ctrl+C or SIGTERM.
            Example: multiraft pd --listen 127.0.0.1:2379 --data ./pd
            """)
        {
            listen, data, maxReplicas,
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
            var options = new PdServerOptions
            {
                Listen = endpoint,
                DataDirectory = parse.GetValue(data)!,
                MaxReplicas = replicas,
                Logger = new ConsoleLogger(),
            };
            return await RunAsync(options, cancellation).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(PdServerOptions options, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        void Stop()
        {
            try
            {
                stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // A signal after we finished: nothing left to stop.
            }
        }
        ConsoleCancelEventHandler onCancelKey = (_, e) =>
        {
            e.Cancel = true; // Shut down cleanly instead of being killed mid-write.
            Stop();
        };
        Console.CancelKeyPress += onCancelKey;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Stop();
        });
        try
        {
            PdServer server;
            try
            {
                server = await PdServer.StartAsync(options, stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or InvalidDataException)
            {
                Console.Error.WriteLine($"error: PD could not start: {e.Message}");
                return 1;
            }
            await using (server.ConfigureAwait(false))
            {
                Console.WriteLine($"PD of cluster {server.ClusterId} listening on {server.Endpoint}, data in {Path.GetFullPath(options.DataDirectory)} (Ctrl+C to stop)");
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Console.WriteLine("stopping PD");
                }
            }
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancelKey;
        }
    }

    /// <summary>Writes PD's log lines to the console (information and above).</summary>
    private sealed class ConsoleLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += Environment.NewLine + exception;
            }
            (logLevel >= LogLevel.Warning ? Console.Error : Console.Out).WriteLine(line);
        }
    }
}
