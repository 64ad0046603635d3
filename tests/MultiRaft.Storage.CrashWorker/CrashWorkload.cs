using System.Buffers.Binary;
using MultiRaft.Raft;

namespace MultiRaft.Storage.CrashWorker;

/// <summary>
/// The deterministic workload of the crash test, shared by the worker (which writes it) and the test (which
/// checks what survived). Batch n appends to a seeded choice of regions, and one entry with index n to
/// region 0, so region 0's last index says how many batches are in the log. Entry content depends only on
/// (region, index), so any surviving entry can be checked on its own.
/// </summary>
public static class CrashWorkload
{
    public const ulong ProgressRegion = 0;
    public const int Regions = 40;

    /// <summary>Every 10th batch compacts and purges, so restarts also recover from purged logs.</summary>
    public const int PurgeEvery = 10;

    /// <summary>The (region, entry count) pairs batch <paramref name="batch"/> appends to.</summary>
    public static List<(ulong Region, int Count)> Plan(int seed, long batch)
    {
        var random = new Random(unchecked(seed * 7919 + (int)batch));
        var plan = new List<(ulong, int)>();
        var regions = 1 + random.Next(Regions);
        for (var i = 0; i < regions; i++)
        {
            plan.Add(((ulong)random.Next(1, Regions + 1), 1 + random.Next(6)));
        }
        return plan;
    }

    public static byte[] Data(ulong region, ulong index)
    {
        var size = 8 + (int)((region * 131 + index * 17) % 1500);
        var data = new byte[size];
        BinaryPrimitives.WriteUInt64LittleEndian(data, region * 1_000_003 + index);
        for (var i = 8; i < size; i++)
        {
            data[i] = (byte)(region + index + (ulong)i);
        }
        return data;
    }

    /// <summary>Last index of every region after batches 1..<paramref name="batches"/>.</summary>
    public static Dictionary<ulong, ulong> ExpectedLast(int seed, long batches)
    {
        var last = new Dictionary<ulong, ulong>();
        for (long batch = 1; batch <= batches; batch++)
        {
            foreach (var (region, count) in Plan(seed, batch))
            {
                last[region] = last.GetValueOrDefault(region) + (ulong)count;
            }
        }
        if (batches > 0)
        {
            last[ProgressRegion] = (ulong)batches;
        }
        return last;
    }

    public static Entry EntryAt(ulong region, ulong index) => new(1, index, Data(region, index));
}
