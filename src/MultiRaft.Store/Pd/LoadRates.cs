using System.Diagnostics;

namespace MultiRaft.Store.Pd;

/// <summary>Turns running totals of keys and bytes into per-second rates since the previous report of the
/// same subject (a region or the store). A region that split away starts from zero; totals that went down
/// (a peer recreated) restart the measurement.</summary>
internal sealed class LoadRates
{
    private readonly Dictionary<ulong, (long WriteKeys, long WriteBytes, long ReadKeys, long ReadBytes, long At)> _last = [];

    public (long WriteBytes, long WriteKeys, long ReadBytes, long ReadKeys) Rates(ulong subject, (long Keys, long Bytes) written, (long Keys, long Bytes) read)
    {
        var now = Stopwatch.GetTimestamp();
        var current = (written.Keys, written.Bytes, read.Keys, read.Bytes, now);
        if (!_last.TryGetValue(subject, out var previous) || written.Keys < previous.WriteKeys || read.Keys < previous.ReadKeys)
        {
            _last[subject] = current;
            return (0, 0, 0, 0);
        }
        _last[subject] = current;
        var seconds = Math.Max(Stopwatch.GetElapsedTime(previous.At, now).TotalSeconds, 0.001);
        return ((long)((written.Bytes - previous.WriteBytes) / seconds), (long)((written.Keys - previous.WriteKeys) / seconds),
            (long)((read.Bytes - previous.ReadBytes) / seconds), (long)((read.Keys - previous.ReadKeys) / seconds));
    }

    /// <summary>Whether the subject read or wrote anything since its last report and that report is at least
    /// <paramref name="age"/> old: a busy region reports more often than an idle one, so PD's load-based split
    /// and hot-region scheduling see a load within seconds instead of at the next periodic round.</summary>
    public bool BusySince(ulong subject, (long Keys, long Bytes) written, (long Keys, long Bytes) read, TimeSpan age) =>
        _last.TryGetValue(subject, out var previous)
        && (written.Keys != previous.WriteKeys || read.Keys != previous.ReadKeys)
        && Stopwatch.GetElapsedTime(previous.At) >= age;
}
