using System.Diagnostics.Metrics;
using MultiRaft.Protocol.Kv;

namespace MultiRaft.Store.Status;

/// <summary>
/// The instruments of one store, on a <see cref="Meter"/> of its own ("MultiRaft.Store", tagged with the
/// store id), so that an exporter listening to this meter never sees another store of the same process.
/// Recording is a counter add or a histogram record with at most one cached tag: no allocation per call,
/// and next to nothing while no listener is attached.
/// </summary>
internal sealed class StoreMetrics : IDisposable
{
    public const string MeterName = "MultiRaft.Store";

    private static readonly string[] ReasonNames = BuildReasonNames();

    private readonly Counter<long> _proposals;
    private readonly Counter<long> _proposalsRejected;
    private readonly Counter<long> _appliedEntries;
    private readonly Histogram<long> _applyBatchEntries;
    private readonly Histogram<double> _fsyncMilliseconds;
    private readonly Histogram<long> _logWriteEntries;
    private readonly Counter<long> _rounds;
    private readonly Histogram<long> _roundPeers;
    private readonly Counter<long> _snapshotsSent;
    private readonly Counter<long> _snapshotsReceived;
    private readonly Counter<long> _reads;
    private readonly Counter<long> _localReads;

    public StoreMetrics(ulong storeId)
    {
        StoreId = storeId;
        Meter = new Meter(new MeterOptions(MeterName) { Tags = [new("store", storeId)] });
        long[] sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384];
        _proposals = Meter.CreateCounter<long>("proposals", "{command}", "Client write commands proposed through Raft");
        _proposalsRejected = Meter.CreateCounter<long>("proposals.rejected", "{command}",
            "Proposed write commands that failed, by reason (not leader, busy, dropped, epoch not match, ...)");
        _appliedEntries = Meter.CreateCounter<long>("apply.entries", "{entry}", "Committed Raft entries applied to the KV engine");
        _applyBatchEntries = Meter.CreateHistogram("apply.batch.entries", "{entry}", "Entries applied per raft round (one KV write batch)",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = sizes });
        _fsyncMilliseconds = Meter.CreateHistogram("log.fsync.duration", "ms", "Time of one fsync of the shared Raft log",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 1000] });
        _logWriteEntries = Meter.CreateHistogram("log.write.entries", "{entry}", "Entries written to the shared Raft log per write (one log writer pass, or one raft round when rounds write their own)",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = sizes });
        _rounds = Meter.CreateCounter<long>("raft.rounds", "{round}", "Raft rounds run by the batch system's workers");
        _roundPeers = Meter.CreateHistogram("raft.round.peers", "{peer}", "Peers handled per raft round",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = sizes });
        _snapshotsSent = Meter.CreateCounter<long>("snapshots.sent", "{snapshot}", "Region snapshots streamed to other stores and accepted by them");
        _snapshotsReceived = Meter.CreateCounter<long>("snapshots.received", "{snapshot}", "Region snapshots received complete and checksum-verified");
        _reads = Meter.CreateCounter<long>("reads", "{request}", "Linearizable client reads served (get, batch get, scan)");
        _localReads = Meter.CreateCounter<long>("local_reads", "{request}", "Reads served under the leader's lease without a Raft round");
    }

    public ulong StoreId { get; }

    public Meter Meter { get; }

    /// <summary>The instruments whose values the store keeps itself and that are read on each scrape.</summary>
    public void Observe(Func<int> regions, Func<int> leaders, Func<long> droppedMessages, Func<long> snapshotsInstalled)
    {
        Meter.CreateObservableGauge("regions", regions, "{region}", "Regions with a peer on this store");
        Meter.CreateObservableGauge("leaders", leaders, "{region}", "Regions whose peer on this store leads");
        Meter.CreateObservableCounter("raft.messages.dropped", droppedMessages, "{message}", "Raft messages dropped on full send queues");
        Meter.CreateObservableCounter("snapshots.installed", snapshotsInstalled, "{snapshot}", "Region snapshots installed from leaders");
    }

    public void Proposed() => _proposals.Add(1);

    public void ProposalFailed(RegionErrorKind reason) =>
        _proposalsRejected.Add(1, new KeyValuePair<string, object?>("reason", ReasonName(reason)));

    public void Applied(int entries)
    {
        _appliedEntries.Add(entries);
        _applyBatchEntries.Record(entries);
    }

    public void LogWritten(int entries) => _logWriteEntries.Record(entries);

    public void LogSynced(TimeSpan elapsed) => _fsyncMilliseconds.Record(elapsed.TotalMilliseconds);

    public void Round(int peers)
    {
        _rounds.Add(1);
        _roundPeers.Record(peers);
    }

    public void SnapshotSent() => _snapshotsSent.Add(1);

    public void SnapshotReceived() => _snapshotsReceived.Add(1);

    public void ReadServed() => _reads.Add(1);

    public void ReadServedLocally() => _localReads.Add(1);

    /// <summary>The label value of a reason, cached so a rejection allocates nothing.</summary>
    public static string ReasonName(RegionErrorKind reason)
    {
        var i = (int)reason;
        return i < ReasonNames.Length ? ReasonNames[i] : "other";
    }

    private static string[] BuildReasonNames()
    {
        var values = Enum.GetValues<RegionErrorKind>();
        var max = 0;
        foreach (var value in values)
        {
            max = Math.Max(max, (int)value);
        }
        var names = new string[max + 1];
        Array.Fill(names, "other");
        foreach (var value in values)
        {
            names[(int)value] = PrometheusText.SnakeCase(value.ToString());
        }
        return names;
    }

    public void Dispose() => Meter.Dispose();
}
