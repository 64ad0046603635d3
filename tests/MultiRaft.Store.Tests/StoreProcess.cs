using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MultiRaft.Store.Tests;

/// <summary>A real <c>multiraft store</c> process, which a test may kill with SIGKILL and start again over
/// the same directory and port.</summary>
internal sealed class StoreProcess(string directory, IPEndPoint pd, int port) : IDisposable
{
    private Process? _process;

    public int Port { get; } = port;

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Start()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "multiraft.dll"));
        foreach (var argument in new[] { "store", "--pd", pd.ToString(), "--listen", $"127.0.0.1:{Port}", "--data", directory })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start)!;
        // Drain the output so a chatty store never blocks on a full pipe.
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        _process!.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        if (_process is not null)
        {
            Kill();
        }
    }
}
