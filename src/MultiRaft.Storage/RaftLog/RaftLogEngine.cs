using FASTER.core;
using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

/// <summary>
/// One FasterLog per store holding the Raft logs of all its regions, like TiKV's raft-engine. Writes of many
/// regions go in one <see cref="LogWriteBatch"/>; <see cref="Sync"/> makes everything written so far durable
/// with one group commit. Each region has an in-memory index (entry → record address) and a cache of recent
/// entries; the index is rebuilt on <see cref="Open"/> by scanning the log, and a damaged record (bad
/// checksum) ends the scan: it and everything after it are cut off, never loaded.
/// Thread-safe: one lock orders writes, reads and purges; a batch is never split by a concurrent commit.
/// </summary>
public sealed partial class RaftLogEngine : IDisposable
{
    private const string CommitDirectory = "log-commits";
    private const int CommitMetadataEvery = 64;

    private readonly RaftLogEngineOptions _options;
    private readonly FasterLogSettings _settings;
    private readonly FasterLog _log;
    private readonly IDevice _device;
    private readonly DeviceLogCommitCheckpointManager _commitManager;
    private readonly Dictionary<ulong, RegionLog> _regions = [];
    private readonly Lock _gate = new();
    private readonly CutoffRanges _cutoffs;
    private byte[] _scratch = new byte[64 * 1024];
    private readonly GroupRecordWriter _groups;
    private bool _disposed;

    private RaftLogEngine(RaftLogEngineOptions options)
    {
        _options = options;
        var fresh = !File.Exists(Path.Combine(options.Directory, LogManifest.FileName));
        if (fresh && Directory.Exists(options.Directory) && Directory.EnumerateFileSystemEntries(options.Directory).Any())
        {
            throw new StorageException($"{options.Directory} is not empty and holds no MultiRaft log: refusing to use it");
        }
        var format = fresh ? 0 : LogManifest.CheckReadable(options.Directory);
        Directory.CreateDirectory(options.Directory);
        var hadCommits = Directory.Exists(Path.Combine(options.Directory, CommitDirectory))
            && Directory.EnumerateFiles(Path.Combine(options.Directory, CommitDirectory), "*", SearchOption.AllDirectories).Any();
        // Preallocated segments: appends then never extend a file, which would add a metadata journal
        // commit to every sync (measured: about a third of the sync time on this machine).
        _device = Devices.CreateLogDevice(Path.Combine(options.Directory, "fasterlog.log"), preallocateFile: true);
        // FasterLog's default commit manager writes a new metadata file (create, O_SYNC write, delete the
        // old one) on every commit, even in fast-commit mode, where the commit record in the log already makes
        // the commit durable and recovery scans forward from the last metadata file to find it: measured
        // about half of each sync. With fast commit, write the file only every CommitMetadataEvery commits
        // (FasterLog still forces one whenever the begin address moves); recovery then scans a little more.
        var commitDir = Path.Combine(options.Directory, CommitDirectory);
        _commitManager = new DeviceLogCommitCheckpointManager(
            new CommitDeviceFactory(),
            new DefaultCheckpointNamingScheme(commitDir),
            removeOutdated: true,
            fastCommitThrottleFreq: options.FastCommit ? CommitMetadataEvery : 0);
        _settings = new FasterLogSettings
        {
            LogDevice = _device,
            LogCommitManager = _commitManager,
            PageSizeBits = options.PageSizeBits,
            MemorySizeBits = options.MemorySizeBits,
            SegmentSizeBits = options.SegmentSizeBits,
            TryRecoverLatest = true,
            AutoRefreshSafeTailAddress = false,
            FastCommitMode = options.FastCommit,
        };
        _log = new FasterLog(_settings);
        _groups = new GroupRecordWriter(_log, options.MaxRecordBytes);
        if (hadCommits && _log.TailAddress <= _log.BeginAddress && _log.CommittedUntilAddress <= _log.BeginAddress)
        {
            // FasterLog opens an empty log when it cannot use the commit metadata; that would look like a
            // store that lost every region. Stop instead.
            Dispose();
            throw new StorageException($"{options.Directory} has committed log data but recovery found none");
        }
        _cutoffs = new CutoffRanges(Path.Combine(options.Directory, "CUTOFF"));
        try
        {
            Recover();
            if (format < LogManifest.CurrentFormat)
            {
                // Before the first write: from here on the log may hold records of the current format.
                LogManifest.WriteCurrent(options.Directory);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Opens (recovering) or creates the log in <see cref="RaftLogEngineOptions.Directory"/>.</summary>
    public static RaftLogEngine Open(RaftLogEngineOptions options)
    {
        options.Validate();
        return new RaftLogEngine(options);
    }

    /// <summary>Where a damaged record cut the log on some restart (empty when none ever was).</summary>
    public IReadOnlyList<(long From, long To)> CutOffRanges => _cutoffs.Ranges;

    public IReadOnlyCollection<ulong> Regions
    {
        get
        {
            lock (_gate)
            {
                return [.. _regions.Keys];
            }
        }
    }

    /// <summary>Adds the batch to the log (not yet durable: see <see cref="Sync"/>) and to the index. The
    /// whole batch is checked first; a bad one changes nothing.</summary>
    public void Write(LogWriteBatch batch)
    {
        Validate(batch);
        lock (_gate)
        {
            ThrowIfDisposed();
            foreach (var (region, snapshot) in batch.Snapshots)
            {
                WriteBase(Region(region), snapshot.Index, snapshot.Term, snapshot);
            }
            _groups.Begin(cache: true);
            foreach (var (region, entries) in batch.Entries)
            {
                _groups.AddEntries(Region(region), entries);
            }
            foreach (var (region, state) in batch.HardStates)
            {
                _groups.AddHardState(Region(region), state);
            }
            _groups.Flush();
            var durable = _log.CommittedUntilAddress;
            foreach (var (region, _) in batch.Entries)
            {
                _regions[region].TrimCache(_options.CacheBytesPerRegion, durable);
            }
        }
    }

    /// <summary>Makes everything written so far durable: one commit (one fsync) for all regions.</summary>
    public void Sync()
    {
        long until;
        lock (_gate)
        {
            ThrowIfDisposed();
            until = _log.TailAddress;
            _log.Commit(spinWait: false);
        }
        WaitUntilDurable(until);
    }

    /// <summary>Blocks until the log is durable up to <paramref name="address"/>: a short spin first (a sync
    /// usually completes within it, and blocking costs a thread hop), then FasterLog's commit event. Not
    /// FasterLog's own unbounded spin-wait, which on a small machine starves the thread doing the flush.</summary>
    private void WaitUntilDurable(long address)
    {
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 2000;
        var spinner = default(SpinWait);
        while (_log.CommittedUntilAddress < address && System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        if (_log.CommittedUntilAddress < address)
        {
            _log.WaitForCommitAsync(address).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Discards <paramref name="region"/>'s entries up to <paramref name="compactTo"/>. The caller
    /// guarantees the state machine has durably applied them. Durable with the next <see cref="Sync"/>.</summary>
    public void Compact(ulong region, ulong compactTo)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (!_regions.TryGetValue(region, out var log) || compactTo <= log.Offset)
            {
                return;
            }
            if (compactTo > log.LastIndex)
            {
                throw new ArgumentOutOfRangeException(nameof(compactTo), $"region {region}: compact to {compactTo} beyond last index {log.LastIndex}");
            }
            log.TryTerm(compactTo, out var term);
            WriteCompact(log, compactTo, term);
        }
    }

    /// <summary>Forgets <paramref name="region"/> (its peer was destroyed). Durable with the next <see cref="Sync"/>.</summary>
    public void RemoveRegion(ulong region)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_regions.Remove(region))
            {
                var record = Scratch(LogRecord.HeaderBytes);
                _log.Enqueue(record.AsSpan(0, LogRecord.WriteTombstone(record, region)));
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        _log.Dispose();
        _settings.Dispose();
        _commitManager.Dispose();
        _device.Dispose();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private RegionLog Region(ulong id)
    {
        if (!_regions.TryGetValue(id, out var log))
        {
            log = new RegionLog(id);
            _regions[id] = log;
        }
        return log;
    }

    private void Validate(LogWriteBatch batch)
    {
        foreach (var (region, entries) in batch.Entries)
        {
            foreach (var entry in entries)
            {
                if (entry.Data.Length > _options.MaxEntryBytes)
                {
                    throw new ArgumentException($"region {region}: entry {entry.Index} has {entry.Data.Length} bytes, over the {_options.MaxEntryBytes}-byte limit of one log page");
                }
            }
        }
        foreach (var (region, snapshot) in batch.Snapshots)
        {
            if (LogRecord.BaseSize(snapshot) > _options.MaxRecordBytes)
            {
                throw new ArgumentException($"region {region}: snapshot metadata is too large for one log page");
            }
        }
    }

    private void WriteBase(RegionLog region, ulong offset, ulong offsetTerm, SnapshotMetadata snapshot)
    {
        var record = Scratch(LogRecord.BaseSize(snapshot));
        var length = LogRecord.WriteBase(record, region.Id, offset, offsetTerm, snapshot);
        region.Rebase(offset, offsetTerm, snapshot, _log.Enqueue(record.AsSpan(0, length)));
    }

    private void WriteCompact(RegionLog region, ulong compactTo, ulong term)
    {
        var record = Scratch(LogRecord.HeaderBytes + 16);
        region.Compact(compactTo, term, _log.Enqueue(record.AsSpan(0, LogRecord.WriteCompact(record, region.Id, compactTo, term))));
    }

    private byte[] Scratch(int length)
    {
        if (_scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
        }
        return _scratch;
    }
}
