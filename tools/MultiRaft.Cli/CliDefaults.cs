using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;

namespace MultiRaft.Cli;

/// <summary>What the commands share: the `up` cluster's addresses, address parsing with clear errors,
/// logging, and running until Ctrl+C or SIGTERM.</summary>
internal static class CliDefaults
{
    public const int PdPort = 2379;
    public const int FirstStorePort = 20160;
    public const int FirstStatusPort = 20180;
    public static readonly string Pd = $"127.0.0.1:{PdPort}";

    public static Option<string> PdOption() => new("--pd")
    {
        Description = "PD address(es), host:port[,host:port]",
        DefaultValueFactory = _ => Pd,
    };

    /// <summary>Parses "host:port"; a host name resolves (localhost → loopback).</summary>
    public static IPEndPoint ParseEndpoint(string text, string option)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            throw new ArgumentException($"{option} must be host:port, not '{text}'");
        }
        var host = text[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }
        var resolved = Dns.GetHostAddresses(host);
        var ipv4 = Array.Find(resolved, a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        return new IPEndPoint(ipv4 ?? resolved.FirstOrDefault() ?? throw new ArgumentException($"{option}: cannot resolve '{host}'"), port);
    }

    public static ILoggerFactory Logging(LogLevel level = LogLevel.Information) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(level)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }));

    /// <summary>Prints a one-line error and returns the exit code for it.</summary>
    public static int Fail(string message, int code = 1)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}
