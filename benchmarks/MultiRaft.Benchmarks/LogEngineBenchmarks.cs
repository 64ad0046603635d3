using BenchmarkDotNet.Attributes;
using MultiRaft.Raft;
using MultiRaft.Storage.RaftLog;

namespace MultiRaft.Benchmarks;

/// <summary>
/// The shared Raft log: appending 128-byte entries of 1, 100 or 10,000 interleaved regions, 256 entries per
/// write batch and one sync (fsync) per batch (or none, for the CPU cost alone). One operation is one entry made durable. Between iterations
/// (untimed) every region compacts and the log is purged, so the disk stays small. An iteration cleanup makes
/// BenchmarkDotNet run one invocation per iteration, so each invocation writes 64 batches: with one batch,
/// every measured sync was the first after a purge (which moves the log's begin address and so also writes
/// FasterLog's commit metadata file), not the steady state whose throughput this measures.
/// </summary>
[MemoryDiagnoser]
public class LogAppendBenchmarks
{
    private const int EntriesPerSync = 256;
    private const int SyncsPerInvoke = 64;

    private string _directory = "";
    private RaftLogEngine _engine = null!;
    private LogWriteBatch _batch = new();
    private ulong[] _next = [];
    private Entry[] _one = new Entry[1];
    private readonly byte[] _payload = new byte[128];
    private int _cursor;

    [Params(1, 100, 10_000)]
    public int Regions { get; set; }

    [Params(false, true)]
    public bool FastCommit { get; set; }

    /// <summary>False measures what a write costs the CPU alone: syncs are slow and vary from run to run.</summary>
    [Params(true, false)]
    public bool Sync { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "multiraft-bench-log-" + Guid.NewGuid().ToString("N"));
        _engine = RaftLogEngine.Open(new RaftLogEngineOptions { Directory = _directory, FastCommit = FastCommit });
        _next = new ulong[Regions + 1];
        Array.Fill(_next, 1UL);
    }

    [Benchmark(OperationsPerInvoke = EntriesPerSync * SyncsPerInvoke)]
    public void AppendAndSync()
    {
        for (var i = 0; i < SyncsPerInvoke; i++)
        {
            AppendOneBatchAndSync();
        }
    }

    private void AppendOneBatchAndSync()
    {
        _batch.Clear();
        if (Regions == 1)
        {
            var entries = new Entry[EntriesPerSync];
            for (var i = 0; i < EntriesPerSync; i++)
            {
                entries[i] = new Entry(1, _next[1]++, _payload);
            }
            _batch.AddEntries(1, entries);
        }
        else
        {
            // Round-robin: each region gets ~256 / regions entries per batch (one each with 10,000 regions).
            var perRegion = Math.Max(1, EntriesPerSync / Regions);
            for (var written = 0; written < EntriesPerSync; written += perRegion)
            {
                var region = (ulong)(_cursor++ % Regions) + 1;
                var entries = perRegion == 1 ? _one : new Entry[perRegion];
                for (var i = 0; i < entries.Length; i++)
                {
                    entries[i] = new Entry(1, _next[region]++, _payload);
                }
                _batch.AddEntries(region, entries);
            }
        }
        _engine.Write(_batch);
        if (Sync)
        {
            _engine.Sync();
        }
    }

    [IterationCleanup]
    public void CompactAndPurge()
    {
        for (var region = 1; region <= Regions; region++)
        {
            if (_next[region] > 1)
            {
                _engine.Compact((ulong)region, _next[region] - 1);
            }
        }
        _engine.Purge(long.MaxValue);
        // Make the compaction records durable here, untimed, rather than in the next iteration's first sync.
        _engine.Sync();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>Restart: rebuilding the per-region index of 1,000,000 entries (128 bytes) over 1,000 regions.</summary>
public class LogRestartBenchmarks
{
    private string _directory = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "multiraft-bench-restart-" + Guid.NewGuid().ToString("N"));
        using var engine = RaftLogEngine.Open(new RaftLogEngineOptions { Directory = _directory });
        var payload = new byte[128];
        var batch = new LogWriteBatch();
        for (ulong round = 0; round < 1000; round++)
        {
            batch.Clear();
            for (ulong region = 1; region <= 1000; region++)
            {
                batch.AddEntries(region, [new Entry(1, round + 1, payload)]);
                if (round % 100 == 0)
                {
                    batch.SetHardState(region, new HardState(1, 1, round + 1));
                }
            }
            engine.Write(batch);
            engine.Sync();
        }
    }

    [Benchmark]
    public long OpenAndRebuildIndex()
    {
        using var engine = RaftLogEngine.Open(new RaftLogEngineOptions { Directory = _directory });
        if (engine.LastIndex(1000) != 1000)
        {
            throw new InvalidOperationException("entries missing after restart");
        }
        return engine.Stats().LiveBytes;
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);
}
