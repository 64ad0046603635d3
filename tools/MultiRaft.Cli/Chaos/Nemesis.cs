using System.Diagnostics;

namespace MultiRaft.Cli.Chaos;

/// <summary>
/// Injects faults on a schedule drawn from the seed, one at a time or now and then two kinds together: kill a store (SIGKILL, restarted later),
/// pause one (SIGSTOP, then SIGCONT), partition the stores (majority/minority, one-way, or a bridge), or run
/// admin operations under the load (see <see cref="AdminOps"/>). Each fault lasts a few seconds and is then
/// healed; every action is logged with its time.
/// </summary>
internal sealed class Nemesis(ChaosCluster cluster, AdminOps ops, IReadOnlySet<string> kinds, Random random, TextWriter log)
{
    public static readonly string[] AllKinds = ["kill", "pause", "partition", "ops"];

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public async Task RunAsync(CancellationToken cancellation)
    {
        var kinds1 = AllKinds.Where(kinds.Contains).ToArray();
        while (!cancellation.IsCancellationRequested)
        {
            if (!await DelayAsync(random.Next(1000, 3000), cancellation).ConfigureAwait(false))
            {
                return;
            }
            // Mostly one fault at a time; now and then two kinds at once (a kill during a partition, ...).
            var kind = kinds1[random.Next(kinds1.Length)];
            var second = kinds1.Length > 1 && random.Next(3) == 0 ? kinds1.Where(k => k != kind).ElementAt(random.Next(kinds1.Length - 1)) : null;
            try
            {
                if (second is null)
                {
                    await InjectAsync(kind, cancellation).ConfigureAwait(false);
                }
                else
                {
                    Log($"combined: {kind} + {second}");
                    await Task.WhenAll(InjectAsync(kind, cancellation), InjectAsync(second, cancellation)).ConfigureAwait(false);
                }
            }
            finally
            {
                HealAll();
            }
        }
    }

    private async Task InjectAsync(string kind, CancellationToken cancellation)
    {
        var stores = cluster.Stores;
        switch (kind)
        {
            case "kill":
            {
                var (process, id) = stores[random.Next(stores.Count)];
                Log($"kill store {id}");
                process.Kill();
                await DelayAsync(random.Next(1000, 4000), cancellation).ConfigureAwait(false);
                Log($"restart store {id}");
                process.Start();
                break;
            }
            case "pause":
            {
                var (process, id) = stores[random.Next(stores.Count)];
                Log($"pause store {id}");
                process.Pause();
                await DelayAsync(random.Next(1000, 4000), cancellation).ConfigureAwait(false);
                Log($"resume store {id}");
                process.Resume();
                break;
            }
            case "partition":
                Partition();
                await DelayAsync(random.Next(2000, 5000), cancellation).ConfigureAwait(false);
                Log("heal network");
                cluster.Network.Heal();
                break;
            default:
                Log($"ops: {await ops.RunOneAsync(cancellation).ConfigureAwait(false)}");
                break;
        }
    }

    private void Partition()
    {
        var ids = cluster.Stores.Select(s => s.StoreId).OrderBy(_ => random.Next()).ToArray();
        var minority = ids.Take(ids.Length / 2).ToArray();
        var majority = ids.Skip(ids.Length / 2).ToArray();
        switch (random.Next(3))
        {
            case 0:
                Log($"partition {{{string.Join(',', minority)}}} | {{{string.Join(',', majority)}}}");
                cluster.Network.Cut(minority, majority);
                cluster.Network.Cut(majority, minority);
                break;
            case 1:
                Log($"one-way cut {{{string.Join(',', minority)}}} -> {{{string.Join(',', majority)}}}");
                cluster.Network.Cut(minority, majority);
                break;
            default:
                // A bridge: one store reaches both halves, which cannot reach each other.
                var bridge = majority[0];
                var left = minority;
                var right = majority.Skip(1).ToArray();
                Log($"bridge {{{string.Join(',', left)}}} - {bridge} - {{{string.Join(',', right)}}}");
                cluster.Network.Cut(left, right);
                cluster.Network.Cut(right, left);
                break;
        }
        cluster.EnforceNetwork();
    }

    /// <summary>Ends every fault: the network heals, paused stores resume, killed stores start again.</summary>
    public void HealAll()
    {
        cluster.Network.Heal();
        foreach (var (process, _) in cluster.Stores)
        {
            process.Resume();
            if (!process.IsRunning)
            {
                process.Start();
            }
        }
    }

    private void Log(string what)
    {
        lock (log)
        {
            log.WriteLine($"{_clock.Elapsed.TotalSeconds,7:0.0}s nemesis: {what}");
        }
    }

    private static async Task<bool> DelayAsync(int milliseconds, CancellationToken cancellation)
    {
        try
        {
            await Task.Delay(milliseconds, cancellation).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
