using MultiRaft.Raft;
using MultiRaft.Storage.CrashWorker;
using MultiRaft.Storage.RaftLog;

// Usage: CrashWorker DIR SEED. Appends workload batches forever, printing "synced N" after each durable batch,
// until it is killed. Continues from whatever batch the log already holds.
if (args.Length != 2 || !int.TryParse(args[1], out var seed))
{
    Console.Error.WriteLine("usage: MultiRaft.Storage.CrashWorker DIR SEED");
    return 2;
}
using var engine = RaftLogEngine.Open(new RaftLogEngineOptions { Directory = args[0], PageSizeBits = 16, MemorySizeBits = 18, SegmentSizeBits = 18 });
var batch = (long)engine.LastIndex(CrashWorkload.ProgressRegion) + 1;
Console.WriteLine($"ready {batch}");
var write = new LogWriteBatch();
var last = new Dictionary<ulong, ulong>();
while (true)
{
    // One write batch and one sync per workload batch, as a store writes one per round.
    write.Clear();
    last.Clear();
    foreach (var (region, count) in CrashWorkload.Plan(seed, batch))
    {
        var first = (last.TryGetValue(region, out var l) ? l : engine.LastIndex(region)) + 1;
        var entries = new Entry[count];
        for (var i = 0; i < count; i++)
        {
            entries[i] = CrashWorkload.EntryAt(region, first + (ulong)i);
        }
        last[region] = first + (ulong)count - 1;
        write.AddEntries(region, entries);
        write.SetHardState(region, new HardState(1, 0, last[region]));
    }
    write.AddEntries(CrashWorkload.ProgressRegion, [CrashWorkload.EntryAt(CrashWorkload.ProgressRegion, (ulong)batch)]);
    engine.Write(write);
    engine.Sync();
    Console.WriteLine($"synced {batch}");
    if (batch % CrashWorkload.PurgeEvery == 0)
    {
        foreach (var region in engine.Regions)
        {
            var lastIndex = engine.LastIndex(region);
            if (lastIndex > 5)
            {
                engine.Compact(region, lastIndex - 5);
            }
        }
        engine.Purge(maxRewriteBytes: 256 * 1024);
    }
    batch++;
}
