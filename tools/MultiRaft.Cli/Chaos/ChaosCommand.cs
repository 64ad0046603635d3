using System.CommandLine;
using System.Diagnostics;
using MultiRaft.Chaos;
using MultiRaft.Client;

namespace MultiRaft.Cli.Chaos;

/// <summary><c>multiraft chaos</c>: real PD and store processes under a seeded nemesis while clients record a
/// history; then the history is checked for linearizability (per key) and lost writes.</summary>
internal static class ChaosCommand
{
    public static Command Create()
    {
        var duration = new Option<string>("--duration") { Description = "how long the faults and the load run (e.g. 60s, 2m)", DefaultValueFactory = _ => "60s" };
        var seed = new Option<int?>("--seed") { Description = "seed of the fault schedule and the workload (default: random, printed)" };
        var nemesis = new Option<string>("--nemesis") { Description = "faults to inject: kill,pause,partition,ops", DefaultValueFactory = _ => "kill,pause,partition,ops" };
        var stores = new Option<int>("--stores") { Description = "store processes", DefaultValueFactory = _ => 5 };
        var clients = new Option<int>("--clients") { Description = "concurrent client workers", DefaultValueFactory = _ => 10 };
        var history = new Option<string?>("--history") { Description = "where to write the history (JSON lines; default: in the run directory)" };
        var keep = new Option<bool>("--keep") { Description = "keep the run directory (data, logs, history) afterwards" };
        var command = new Command("chaos", """
            Jepsen-style test on real processes: PD and --stores stores on loopback, each store behind a fault
            proxy; clients run reads, writes and compare-and-swaps on a few keys plus unique writes, recording
            every operation; a nemesis kills, pauses, partitions and reconfigures the cluster. Afterwards the
            faults heal, the history is checked, and the run ends with "ops N, anomalies A, lost L" (exit 1 if
            A or L is not 0).
            Example: multiraft chaos --duration 60s --seed 7 --nemesis kill,partition
            """)
        {
            duration, seed, nemesis, stores, clients, history, keep,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var length = ParseDuration(parse.GetValue(duration)!);
            var kinds = parse.GetValue(nemesis)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            var unknown = kinds.Except(Nemesis.AllKinds).ToArray();
            var storeCount = parse.GetValue(stores);
            var workers = parse.GetValue(clients);
            var error = length is null ? "--duration must look like 60s, 2m or 500ms"
                : unknown.Length > 0 ? $"unknown nemesis {string.Join(", ", unknown)}; known: {string.Join(", ", Nemesis.AllKinds)}"
                : storeCount is < 3 or > 9 ? "--stores must be between 3 and 9"
                : workers is < 1 or > 200 ? "--clients must be between 1 and 200"
                : null;
            if (error is not null)
            {
                return CliDefaults.Fail(error, 2);
            }
            var runSeed = parse.GetValue(seed) ?? Random.Shared.Next();
            return await RunAsync(new ChaosSettings(length!.Value, runSeed, kinds, storeCount, workers, parse.GetValue(history), parse.GetValue(keep)), cancellation).ConfigureAwait(false);
        });
        return command;
    }

    private static TimeSpan? ParseDuration(string text)
    {
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        return double.TryParse(number, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0 && value * unit <= 24 * 3600
            ? TimeSpan.FromSeconds(value * unit)
            : null;
    }

    private static async Task<int> RunAsync(ChaosSettings settings, CancellationToken cancellation)
    {
        var root = Path.Combine(Path.GetTempPath(), $"multiraft-chaos-{settings.Seed}-{Guid.NewGuid():N}"[..40]);
        var historyPath = settings.HistoryPath ?? Path.Combine(root, "history.jsonl");
        Console.WriteLine($"chaos: seed {settings.Seed}, {settings.Duration.TotalSeconds:0} s, nemesis {string.Join(',', settings.Nemesis)}, {settings.Stores} stores, {settings.Clients} clients; run directory {root}");
        Console.WriteLine($"reproduce with: multiraft chaos --duration {settings.Duration.TotalSeconds:0}s --seed {settings.Seed} --nemesis {string.Join(',', settings.Nemesis)} --stores {settings.Stores} --clients {settings.Clients}");
        var random = new Random(settings.Seed);
        CheckResult result;
        await using (var cluster = await ChaosCluster.StartAsync(root, settings.Stores, replicas: 3, cancellation).ConfigureAwait(false))
        {
            await using var client = new RawKvClient([cluster.PdEndpoint], new RawKvClientOptions { Timeout = TimeSpan.FromSeconds(5), RpcTimeout = TimeSpan.FromSeconds(2) });
            await client.PutAsync("chaos/ready"u8.ToArray(), "1"u8.ToArray(), cancellation).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(historyPath))!);
            using (var history = HistoryWriter.Create(historyPath))
            {
                var workload = new Workload(client, history, registerKeys: 5, new Random(random.Next()));
                var ops = new AdminOps(cluster, r => r.Next(2) == 0 ? Workload.RegisterKey(r.Next(5)) : Workload.SetPrefix + r.Next(100_000), new Random(random.Next()));
                var nemesis = new Nemesis(cluster, ops, settings.Nemesis, new Random(random.Next()), Console.Out);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                stop.CancelAfter(settings.Duration);
                var clock = Stopwatch.StartNew();
                await Task.WhenAll(workload.RunAsync(settings.Clients, stop.Token), nemesis.RunAsync(stop.Token)).ConfigureAwait(false);
                nemesis.HealAll();
                Console.WriteLine($"{clock.Elapsed.TotalSeconds,7:0.0}s load stopped, faults healed; {history.Count} events recorded");
            }
            var present = await ReadSetAsync(client, cancellation).ConfigureAwait(false);
            var events = HistoryReader.ReadFile(historyPath);
            var operations = History.Pair(events);
            // Every key is checked for linearizability (a set key, written once, trivially is); set keys also
            // for loss against the final read.
            var linearizability = LinearizabilityChecker.Check(operations);
            var lost = SetChecker.Check(operations.Where(o => o.Key.StartsWith(Workload.SetPrefix, StringComparison.Ordinal)), present);
            result = new CheckResult(linearizability, lost);
        }
        Console.WriteLine($"history: {historyPath}");
        if (!result.IsValid)
        {
            Console.WriteLine(result.Describe());
        }
        if (!settings.Keep && result.IsValid && settings.HistoryPath is null)
        {
            TryDelete(root);
        }
        Console.WriteLine(result.Summary);
        return result.IsValid ? 0 : 1;
    }

    /// <summary>After healing, every key the set workload wrote that is present (the scan retries until the
    /// cluster answers).</summary>
    private static async Task<List<string>> ReadSetAsync(RawKvClient client, CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var pairs = await client.ScanAsync(System.Text.Encoding.UTF8.GetBytes(Workload.SetPrefix), "set0"u8.ToArray(), 10_000_000, cancellation).ConfigureAwait(false);
                return [.. pairs.Select(p => System.Text.Encoding.UTF8.GetString(p.Key))];
            }
            catch (Exception e) when (attempt < 12 && e is ClusterUnavailableException or KvTimeoutException)
            {
                Console.WriteLine($"final read: {e.Message}; retrying");
            }
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed record ChaosSettings(TimeSpan Duration, int Seed, IReadOnlySet<string> Nemesis, int Stores, int Clients, string? HistoryPath, bool Keep);
}
