using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MultiRaft.Store;

/// <summary>How a store runs. Defaults follow DESIGN.md's starting numbers.</summary>
public sealed record StoreOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>Where the store listens: Raft traffic from other stores, snapshots and client RPC share it.</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>The address other processes use to reach this store; defaults to the bound listen address.</summary>
    public string? AdvertiseAddress { get; init; }

    public required IReadOnlyList<IPEndPoint> PdEndpoints { get; init; }

    /// <summary>Where the status server serves <c>/metrics</c> and <c>/regions</c> over HTTP; null: none.</summary>
    public IPEndPoint? StatusListen { get; init; }

    /// <summary>How long a starting store keeps trying to reach PD before it gives up.</summary>
    public TimeSpan PdStartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public int ElectionTicks { get; init; } = 10;

    public int HeartbeatTicks { get; init; } = 2;

    public int LeaseTicks { get; init; } = 9;

    public int RaftWorkers { get; init; } = 2;

    /// <summary>Threads applying committed entries to the KV engine, apart from the Raft workers.</summary>
    public int ApplyWorkers { get; init; } = 1;

    /// <summary>Raft rounds hand their log writes to a writer thread and move on, instead of waiting for the
    /// fsync holding their regions (TiKV's async I/O). Off: each round writes and fsyncs its own batch.</summary>
    public bool AsyncLogWrites { get; init; } = true;

    public int MaxPeersPerRound { get; init; } = 256;

    /// <summary>Proposals in flight per region; past it writes get ServerIsBusy.</summary>
    public int MaxInflightProposalsPerRegion { get; init; } = 16 * 1024;

    /// <summary>Entries a region may have committed but not yet applied here; past it writes get ServerIsBusy
    /// (the apply workers are behind, and more writes would only lengthen the queue).</summary>
    public int MaxApplyLagEntries { get; init; } = 64 * 1024;

    public int MaxKeyBytes { get; init; } = 8 * 1024;

    public int MaxValueBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Splits proposed and not yet applied on this store; past it a split gets ServerIsBusy.</summary>
    public int MaxPendingSplits { get; init; } = 32;

    /// <summary>Keys in one BatchGet or BatchPut, and pairs in one Scan.</summary>
    public int MaxBatchKeys { get; init; } = 10_000;

    /// <summary>Bytes of keys and values in one write command (one Raft entry).</summary>
    public int MaxCommandBytes { get; init; } = 12 * 1024 * 1024;

    /// <summary>Ticks a leader's region must stay idle before it hibernates (stops ticking and heartbeating);
    /// 0 turns hibernation off.</summary>
    public int HibernateAfterTicks { get; init; } = 20;

    /// <summary>Applied entries a region keeps in the shared log before log GC cuts it.</summary>
    public int LogGcThresholdEntries { get; init; } = 10_000;

    /// <summary>Live log bytes a region keeps before log GC cuts it, whatever the entry count.</summary>
    public long LogGcThresholdBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Live log bytes of a region that the shared log's purge copies forward to free an old segment. A
    /// region with more is asked to compact instead: the copy holds the lock every append waits for, and a busy
    /// region's entries (tens of MB) would be copied only to die at its next log GC.</summary>
    public long LogPurgeRewriteBytes { get; init; } = 2L * 1024 * 1024;

    /// <summary>How often the shared log reclaims disk (truncating its prefix, moving live entries forward).</summary>
    public TimeSpan LogPurgeInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A follower that has heard from no leader for this long asks PD whether it was removed from its
    /// region while it was away (then it destroys itself).</summary>
    public TimeSpan StalePeerCheckAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the store asks PD for operator steps due on the regions it leads.</summary>
    public TimeSpan OperatorPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Periodic region heartbeats (statistics); changes of leader or region are reported at once.</summary>
    public TimeSpan RegionHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a leader whose region served reads or writes since its last heartbeat reports (its load
    /// rates feed PD's load-based split and hot-region scheduling); idle regions keep the longer interval.</summary>
    public TimeSpan BusyRegionHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan StoreHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a store that hosts no region yet asks PD whether it is in the first region.</summary>
    public TimeSpan BootstrapPollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("a data directory is required", nameof(DataDirectory));
        }
        if (PdEndpoints.Count == 0)
        {
            throw new ArgumentException("at least one PD address is required", nameof(PdEndpoints));
        }
        if (TickInterval <= TimeSpan.Zero || RaftWorkers < 1 || ApplyWorkers < 1 || MaxPeersPerRound < 1 || MaxInflightProposalsPerRegion < 1 || MaxApplyLagEntries < 1)
        {
            throw new ArgumentException("tick interval, workers, peers per round, inflight proposals and apply lag must be positive");
        }
        if (LeaseTicks >= ElectionTicks)
        {
            throw new ArgumentException($"the lease ({LeaseTicks} ticks) must be shorter than the election timeout ({ElectionTicks} ticks)");
        }
    }
}
