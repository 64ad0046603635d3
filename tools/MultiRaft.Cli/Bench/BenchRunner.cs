using System.Diagnostics;
using System.Globalization;
using MultiRaft.Client;
using MultiRaft.Protocol.Kv;

namespace MultiRaft.Cli.Bench;

/// <summary>
/// Runs one workload: <see cref="BenchSettings.Clients"/> closed-loop clients over one shared
/// <see cref="RawKvClient"/> (each issues its next request when the last one ends), a warm-up that is not
/// counted, then the measured run, closing one timeline second at a time and printing it as progress.
/// </summary>
internal sealed class BenchRunner(BenchSettings settings, RawKvClient client, TextWriter progress)
{
    private const int LoadBatchKeys = 1_000;
    private const int LoadConcurrency = 8;
    private readonly KeySpace _keys = new(settings.KeySize);
    private readonly KeyChooser _chooser = KeyChooser.Create(settings.Distribution, settings.Keys);
    private long _nextInsert;

    /// <summary>Called after every measured second (the scale-out experiment marks its events with it).</summary>
    public Action<TimelinePoint>? OnSecond { get; init; }

    /// <summary>Writes keys 0 … Keys−1 in batches, so read workloads find every key they ask for.</summary>
    public async Task LoadAsync(CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        progress.WriteLine($"loading {settings.Keys:N0} keys of {settings.ValueSize} B...");
        var value = new byte[settings.ValueSize];
        new Random(settings.Seed).NextBytes(value);
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
                await client.BatchPutAsync(batch, cancellation).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        progress.WriteLine($"loaded in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
    }

    public async Task<BenchResult> RunAsync(CancellationToken cancellation)
    {
        var metrics = new BenchMetrics(settings.Workload.Operations);
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
            var key = _keys.Key(operation == BenchOperation.Insert ? Interlocked.Increment(ref _nextInsert) - 1 : _chooser.Next(random));
            var started = Stopwatch.GetTimestamp();
            try
            {
                var found = await ExecuteAsync(operation, key, value, stop).ConfigureAwait(false);
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
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Counted by kind, and the load goes on: a benchmark reports its errors, it does not stop at one.
                metrics.Fail(operation, e.GetType().Name.Replace("Exception", "", StringComparison.Ordinal));
            }
        }
    }

    /// <summary>Issues one operation; false when a read found no value (the key should exist: a lost write).</summary>
    private async Task<bool> ExecuteAsync(BenchOperation operation, byte[] key, byte[] value, CancellationToken cancellation)
    {
        switch (operation)
        {
            case BenchOperation.Read:
                return await client.GetAsync(key, cancellation).ConfigureAwait(false) is not null;
            case BenchOperation.ReadModifyWrite:
                var old = await client.GetAsync(key, cancellation).ConfigureAwait(false);
                await client.PutAsync(key, value, cancellation).ConfigureAwait(false);
                return old is not null;
            default:
                await client.PutAsync(key, value, cancellation).ConfigureAwait(false);
                return true;
        }
    }
}
