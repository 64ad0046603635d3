using System.Net;
using System.Net.Sockets;

namespace MultiRaft.Transport.Tests;

internal static class Loopback
{
    /// <summary>A loopback address nobody listens on (a port just freed): every connection attempt fails.</summary>
    public static IPEndPoint ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var endpoint = (IPEndPoint)probe.LocalEndpoint;
        probe.Stop();
        return endpoint;
    }
}
