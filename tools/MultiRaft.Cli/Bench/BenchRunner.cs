using System.Diagnostics;
using System.Globalization;
using MultiRaft.Client;
using MultiRaft.Client.Txn;
using MultiRaft.Protocol.Kv;

namespace MultiRaft.Cli.Bench;

/// <summary>
/// Runs one workload: <see cref="BenchSettings.Clients"/> closed-loop clients over one shared
/// <see cref="RawKvClient"/>, or <see cref="TxnClient"/> for transactional workloads (each issues its next
/// request when the last one ends), a warm-up that is not counted, then the measured run, closing one
/// timeline second at a time and printing it as progress.
/// </summary>
internal sealed class BenchRunner(BenchSettings settings, BenchTarget target, TextWriter progress)
{
    private const int LoadBatchKeys = 1_000;
    private const int LoadConcurrency = 8;
    private const int MaxTransferAmount = 100;
    private readonly RawKvClient _client = target.Client;
    private readonly TxnTransfers? _transfers = settings.Workload.Transactional ? new TxnTransfers(target.Transactions) : null;
    private readonly KeySpace _keys = new(settings.KeySize);
    private readonly KeyChooser _chooser = KeyChooser.Create(settings.Distribution, settings.Keys);
    private long _nextInsert;

    /// <summary>Called after every measured second (the scale-out experiment marks its events with it).</summary>
    public Action<TimelinePoint>? OnSecond { get; init; }

    /// <summary>Writes keys 0 … Keys−1 in batches (one transaction each for transactional workloads), so read
    /// workloads find every key they ask for.</summary>
    public async Task LoadAsync(CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        progress.WriteLine($"loading {settings.Keys:N0} keys of {settings.ValueSize} B...");
        var value = new byte[settings.ValueSize];
        new Random(settings.Seed).NextBytes(value);
        Func<KvEntry[], CancellationToken, Task> write = _transfers is null ? _client.BatchPutAsync : _transfers.OpenAsync;
        long next = 0;
        await Task.WhenAll(Enumerable.Range(0, LoadConcurrency).Select(async _ =>
        {
            long first;
            while ((first = Interlocked.Add(ref next, LoadBatchKeys) - LoadBatchKeys) < settings.Keys)
            {
                var count = (int)Math.Min(LoadBatchKeys, settings.Keys - first);
                var batch = new KvEntry[count];
                for (var i = 0; i < count; i++)
                {
                    batch[i] = new KvEntry(_keys.Key(first + i), value);
                }
                await write(batch, cancellation).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        progress.WriteLine($"loaded in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
    }

    public async Task<BenchResult> RunAsync(CancellationToken cancellation)
    {
        var metrics = new BenchMetrics(settings.Workload.Operations, settings.Workload.Phases);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var limiter = settings.Rate is { } rate ? new RateLimiter(rate) : null;
        var clients = Enumerable.Range(0, settings.Clients).Select(i => Task.Run(() => ClientLoopAsync(i, metrics, limiter, stop.Token), CancellationToken.None)).ToArray();
        try
        {
            progress.WriteLine($"{settings.Workload.Name} ({settings.Workload.Description}): {settings.Clients} clients, {settings.Distribution.ToString().ToLowerInvariant()} over {settings.Keys:N0} keys, "
                + $"warm-up {settings.Warmup.TotalSeconds:0.#} s, run {settings.Duration.TotalSeconds:0.#} s" + (settings.Rate is { } cap ? $", at most {cap:N0} ops/s" : ""));
            await Task.Delay(settings.Warmup, cancellation).ConfigureAwait(false);
            metrics.Reset();
            var pausedBefore = GC.GetTotalPauseDuration();
            var gen2Before = GC.CollectionCount(2);
            var seconds = await MeasureAsync(metrics, cancellation).ConfigureAwait(false);
            // This process's collections: the client's own, and with --local the servers' too.
            return metrics.Result(settings, seconds) with
            {
                GcPauseMs = Math.Round((GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds),
                Gen2Collections = GC.CollectionCount(2) - gen2Before,
            };
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(clients).ConfigureAwait(false);
        }
    }

    /// <summary>Closes a timeline point every second until the duration is up; returns the seconds measured.</summary>
    private async Task<double> MeasureAsync(BenchMetrics metrics, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var lastClose = started;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        for (var second = 1; Stopwatch.GetElapsedTime(started) < settings.Duration - TimeSpan.FromMilliseconds(500); second++)
        {
            await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false);
            var now = Stopwatch.GetTimestamp();
            var point = metrics.TakeSecond(second, Stopwatch.GetElapsedTime(lastClose, now).TotalSeconds);
            lastClose = now;
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{point.Sec,5} s  {point.OpsPerSec,10:N0} ops/s  p99 {point.P99Ms,8:F2} ms"));
            OnSecond?.Invoke(point);
        }
        return Stopwatch.GetElapsedTime(started, lastClose).TotalSeconds;
    }

    private async Task ClientLoopAsync(int index, BenchMetrics metrics, RateLimiter? limiter, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(settings.Seed, index));
        var value = new byte[settings.ValueSize];
        random.NextBytes(value);
        while (!stop.IsCancellationRequested)
        {
            if (limiter is not null)
            {
                try
                {
                    await limiter.WaitAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            var operation = settings.Workload.Next(random);
            var number = operation == BenchOperation.Insert ? Interlocked.Increment(ref _nextInsert) - 1 : _chooser.Next(random);
            var key = _keys.Key(number);
            var started = Stopwatch.GetTimestamp();
            try
            {
                // Awaited here rather than in a helper: a helper's async state would be one more allocation per
                // operation, and at a few hundred thousand operations a second the collector's time shows in the
                // figures. Single-key calls take no token: one still in flight when the run ends finishes within
                // its own timeout, while a token would cost every call a linked source.
                bool found;
                switch (operation)
                {
                    case BenchOperation.Transfer:
                        found = await _transfers!.TransferAsync(key, _keys.Key(OtherAccount(number, random)), random.Next(1, MaxTransferAmount + 1), metrics, stop).ConfigureAwait(false);
                        break;
                    case BenchOperation.Read:
                        found = await _client.GetAsync(key, CancellationToken.None).ConfigureAwait(false) is not null;
                        break;
                    case BenchOperation.ReadModifyWrite:
                        found = await _client.GetAsync(key, CancellationToken.None).ConfigureAwait(false) is not null;
                        await _client.PutAsync(key, value, CancellationToken.None).ConfigureAwait(false);
                        break;
                    default:
                        await _client.PutAsync(key, value, CancellationToken.None).ConfigureAwait(false);
                        found = true;
                        break;
                }
                if (found)
                {
                    metrics.Record(operation, started);
                }
                else
                {
                    metrics.Fail(operation, "NotFound");
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (TxnConflictException)
            {
                // It changed nothing. Not retried: the conflict rate is then the load's own, not a retry storm's.
                metrics.Fail(operation, BenchMetrics.ConflictKind);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Counted by kind, and the load goes on: a benchmark reports its errors, it does not stop at one.
                metrics.Fail(operation, e.GetType().Name.Replace("Exception", "", StringComparison.Ordinal));
            }
        }
    }

    /// <summary>The account a transfer pays into: another draw from the same distribution, never the payer.</summary>
    private long OtherAccount(long payer, Random random)
    {
        long payee;
        do
        {
            payee = _chooser.Next(random);
        }
        while (payee == payer);
        return payee;
    }
}
