using MultiRaft.Protocol.Metadata;
using MultiRaft.PlacementDriver.Scheduling;

namespace MultiRaft.PlacementDriver.Http;

/// <summary>The JSON shapes of PD's HTTP API (and of the ops tool's <c>--json</c>), lowerCamelCase, kept
/// stable. Keys are shown as text when every byte is printable ASCII, otherwise as <c>0x</c> + hex.</summary>
public sealed record StoreView(ulong Id, string Address, string? StatusAddress, string State, int RegionCount, int LeaderCount,
    long CapacityBytes, long AvailableBytes, long UsedBytes, long LastHeartbeatUnixMs);

public sealed record EpochView(ulong ConfVer, ulong Version);

public sealed record PeerView(ulong Id, ulong StoreId, string Role);

public sealed record RegionView(ulong Id, string StartKey, string EndKey, EpochView Epoch, ulong? LeaderStoreId, PeerView[] Peers,
    ulong ApproximateSize, ulong ApproximateKeys, long WriteBytesPerSec, long WriteKeysPerSec, long ReadBytesPerSec, long ReadKeysPerSec,
    ulong[] DownPeers, ulong[] PendingPeers)
{
    public static RegionView Of(RegionState state)
    {
        var region = state.Region;
        var stats = state.Stats;
        return new RegionView(region.Id, KeyText.Show(region.StartKey), KeyText.Show(region.EndKey), new EpochView(region.Epoch.ConfVersion, region.Epoch.Version),
            state.Leader?.StoreId, Array.ConvertAll(region.Peers, p => new PeerView(p.Id, p.StoreId, p.IsLearner ? "learner" : "voter")),
            stats?.ApproximateBytes ?? 0, stats?.ApproximateKeys ?? 0, stats?.WriteBytesPerSec ?? 0, stats?.WriteKeysPerSec ?? 0,
            stats?.ReadBytesPerSec ?? 0, stats?.ReadKeysPerSec ?? 0, state.DownPeers, state.PendingPeers);
    }
}

public sealed record SchedulerView(string Name, bool Enabled, object Config);

/// <summary>The body of <c>POST /schedulers/{name}/config</c>: one setting, its value as text.</summary>
public sealed record SettingBody(string? Key, string? Value);

/// <summary>A store's leader and replica counts (before or after a rebalance).</summary>
public sealed record StoreCountView(ulong StoreId, int Leaders, int Replicas);

/// <summary>What <c>GET /rebalance</c> answers: the operators the balance schedulers would start now, and each
/// store's counts once they (and the operators already running) are done.</summary>
public sealed record RebalancePlanView(PlannedOperatorView[] Operators, StoreCountView[] After);

/// <summary>What <c>GET /gc/safepoint</c> answers: the cluster's GC safe point and the live service safe points
/// holding it back, lowest first.</summary>
public sealed record GcSafePointView(ulong SafePoint, ServiceSafePoint[] ServiceSafePoints);

public sealed record OperatorsView(OperatorView[] Running, OperatorView[] History);

/// <summary>The body of the POST commands; each uses the fields it needs.</summary>
public sealed record CommandBody(ulong RegionId, string? Key, ulong? ToStore, ulong? FromStore, ulong? StoreId);

public sealed record Accepted(long OperatorId, string Description);

public sealed record ApiError(string Error);

/// <summary>Key text from the API and the CLI: <c>0x</c> + hex for binary keys, otherwise UTF-8.</summary>
public static class KeyInput
{
    public static byte[] Parse(string text)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && text.Length > 2)
        {
            try
            {
                return Convert.FromHexString(text.AsSpan(2));
            }
            catch (FormatException)
            {
                throw new ArgumentException($"'{text}' is not valid hex after 0x");
            }
        }
        return System.Text.Encoding.UTF8.GetBytes(text);
    }
}
