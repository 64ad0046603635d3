using System.Net;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.PlacementDriver.Tests;

/// <summary>A clock the test moves by hand, so store liveness and the TSO are deterministic.</summary>
internal sealed class ManualClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>A real PD on a loopback port over a temporary directory, with a PdClient; restartable on the
/// same directory.</summary>
internal sealed class PdHarness : IAsyncDisposable
{
    private readonly Func<PdServerOptions, PdServerOptions> _configure;

    private PdHarness(string directory, Func<PdServerOptions, PdServerOptions> configure)
    {
        Directory = directory;
        _configure = configure;
    }

    public string Directory { get; }

    public ManualClock Clock { get; } = new();

    public PdServer Server { get; private set; } = null!;

    public PdClient Client { get; private set; } = null!;

    public static async Task<PdHarness> StartAsync(Func<PdServerOptions, PdServerOptions>? configure = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "multiraft-pd-" + Guid.NewGuid().ToString("N"));
        var harness = new PdHarness(directory, configure ?? (o => o));
        await harness.StartServerAsync();
        return harness;
    }

    public async Task RestartAsync()
    {
        await StopServerAsync();
        await StartServerAsync();
    }

    public async Task StopServerAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }

    public async Task StartServerAsync()
    {
        var options = _configure(new PdServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            DataDirectory = Directory,
            Clock = Clock,
        });
        Server = await PdServer.StartAsync(options);
        Client = new PdClient([Server.Endpoint]);
    }

    public async ValueTask DisposeAsync()
    {
        await StopServerAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public static RegionInfo Region(ulong id, string start, string end, ulong confVersion, ulong version, params ulong[] stores)
    {
        var peers = new PeerInfo[stores.Length];
        for (var i = 0; i < stores.Length; i++)
        {
            peers[i] = new PeerInfo(id * 100 + (ulong)i + 1, stores[i], false);
        }
        return new RegionInfo(id, Key(start), Key(end), new EpochInfo(confVersion, version), peers);
    }

    public static byte[] Key(string text) => System.Text.Encoding.ASCII.GetBytes(text);

    /// <summary>A heartbeat with the whole region, as a leader sends it after a change.</summary>
    public static RegionHeartbeatRequest Heartbeat(RegionInfo region, int leaderIndex, ulong term, ulong bytes = 0) =>
        new(region, region.Peers[leaderIndex], term, [], [], new RegionStats(bytes, 0, 0, 0, 0, 0), null, region.Id, region.Epoch);

    /// <summary>The same heartbeat without the region's metadata, as a leader sends it once PD has the region.</summary>
    public static RegionHeartbeatRequest Delta(RegionInfo region, int leaderIndex, ulong term, ulong bytes = 0) =>
        Heartbeat(region, leaderIndex, term, bytes) with { Region = null };

    public static StoreStats Stats() => new(100, 50, 50, 0, 0, 0, 0, 0, 0);
}
