namespace MultiRaft.Storage.RaftLog;

/// <summary>What a store needs to decide when to compact or purge: log extent on disk and what is still live.</summary>
public readonly record struct LogEngineStats(long BeginAddress, long TailAddress, long DurableAddress, long LiveBytes, int Regions)
{
    /// <summary>Bytes of log between the begin and tail addresses (on disk or in memory).</summary>
    public long LogBytes => TailAddress - BeginAddress;
}

/// <summary>One region's share of the log.</summary>
public readonly record struct RegionLogStats(ulong Region, ulong FirstIndex, ulong LastIndex, long LiveBytes, long OldestLiveAddress);

/// <summary>What a purge did: the new begin address, the regions it rewrote, and those too big to rewrite,
/// which pin the log until they compact.</summary>
public sealed record PurgeResult(long BeginAddress, IReadOnlyList<ulong> Rewritten, IReadOnlyList<ulong> MustCompact);
