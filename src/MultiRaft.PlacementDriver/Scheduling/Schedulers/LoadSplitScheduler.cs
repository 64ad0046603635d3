using System.Collections.Concurrent;
using MultiRaft.Protocol.Metadata;
using MultiRaft.Protocol.Pd;

namespace MultiRaft.PlacementDriver.Scheduling.Schedulers;

/// <summary>Load-based split: a region is hot when a heartbeat reports reads or writes at or above either
/// rate; hot for <see cref="Reports"/> heartbeats in a row, it is split. Each heartbeat's rate covers the
/// time since the previous one, so the defaults (TiKV's 3,000 keys/s or 30 MiB/s) held over 3 reports mean a
/// load sustained well past TiKV's 10 s.</summary>
public sealed record LoadSplitConfig
{
    public long KeysPerSec { get; init; } = 3_000;

    public long BytesPerSec { get; init; } = 30L << 20;

    public int Reports { get; init; } = 3;

    public int MaxOperatorsPerRound { get; init; } = 16;
}

/// <summary>
/// Splits regions with a sustained read or write load, at the median of the keys the leader sampled from
/// recent requests (so each half gets about half the sampled requests); without samples, at the middle key.
/// It watches every heartbeat (<see cref="IHeartbeatObserver"/>): a region that is not hot costs one failed
/// dictionary removal there.
/// </summary>
public sealed class LoadSplitScheduler(LoadSplitConfig? config = null) : Scheduler<LoadSplitConfig>(config ?? new LoadSplitConfig()), IHeartbeatObserver
{
    public const string SchedulerName = "load-split";

    private readonly ConcurrentDictionary<ulong, Streak> _streaks = new();

    public override string Name => SchedulerName;

    public void Observe(RegionHeartbeatRequest heartbeat, RegionInfo region)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        ArgumentNullException.ThrowIfNull(region);
        var config = Config;
        var stats = heartbeat.Stats;
        var hot = stats.WriteKeysPerSec >= config.KeysPerSec || stats.ReadKeysPerSec >= config.KeysPerSec
            || stats.WriteBytesPerSec >= config.BytesPerSec || stats.ReadBytesPerSec >= config.BytesPerSec;
        var id = region.Id;
        if (!hot)
        {
            _streaks.TryRemove(id, out _);
            return;
        }
        var version = region.Epoch.Version;
        var samples = heartbeat.SampledKeys is { Length: > 0 } given ? given : null;
        var rate = $"{Math.Max(stats.WriteKeysPerSec, stats.ReadKeysPerSec)} keys/s, {Math.Max(stats.WriteBytesPerSec, stats.ReadBytesPerSec)} B/s";
        _streaks.AddOrUpdate(id,
            static (_, s) => new Streak(1, s.version, s.samples, s.rate),
            static (_, old, s) => old.Version == s.version
                ? new Streak(old.Reports + 1, s.version, s.samples ?? old.Samples, s.rate)
                : new Streak(1, s.version, s.samples, s.rate), // Split since: the halves start over.
            (version, samples, rate));
    }

    /// <summary>How many heartbeats in a row the region has been hot (0: not hot).</summary>
    public int HotReports(ulong regionId) => _streaks.TryGetValue(regionId, out var streak) ? streak.Reports : 0;

    public override void Schedule(SchedulingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = Config;
        var proposed = 0;
        foreach (var (id, streak) in _streaks)
        {
            if (proposed >= config.MaxOperatorsPerRound)
            {
                return;
            }
            if (streak.Reports < config.Reports)
            {
                continue;
            }
            if (context.Region(id) is not { Leader: not null } region)
            {
                _streaks.TryRemove(id, out _); // Gone (merged away or replaced by a split).
                continue;
            }
            if (context.IsBusy(id) || region.Region.Epoch.Version != streak.Version)
            {
                continue;
            }
            var key = SplitKey(region.Region, streak.Samples);
            var reason = $"hot for {streak.Reports} heartbeats ({streak.Rate}); split at "
                + (key is null ? "the middle key (no usable samples)" : $"the median of {streak.Samples!.Length} sampled keys");
            if (context.Propose(Operator.Split(region.Region, key is null ? [] : [key], Name, reason)))
            {
                _streaks.TryRemove(id, out _);
                proposed++;
            }
        }
    }

    /// <summary>The median of the samples that lie strictly inside the region (never its start key), or null.</summary>
    public static byte[]? SplitKey(RegionInfo region, byte[][]? samples)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (samples is null)
        {
            return null;
        }
        var inside = new List<byte[]>(samples.Length);
        foreach (var key in samples)
        {
            if (key is { Length: > 0 } && key.AsSpan().SequenceCompareTo(region.StartKey) > 0 && region.Contains(key))
            {
                inside.Add(key);
            }
        }
        if (inside.Count == 0)
        {
            return null;
        }
        inside.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        return inside[inside.Count / 2];
    }

    protected override void Validate(LoadSplitConfig config)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(config.KeysPerSec, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.BytesPerSec, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.Reports, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxOperatorsPerRound, 1);
    }

    private sealed record Streak(int Reports, ulong Version, byte[][]? Samples, string Rate);
}
