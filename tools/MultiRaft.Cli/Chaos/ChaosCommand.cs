using System.CommandLine;
using System.Diagnostics;
using MultiRaft.Chaos;

namespace MultiRaft.Cli.Chaos;

/// <summary><c>multiraft chaos</c>: real PD and store processes under a seeded nemesis while clients record a
/// history; then the history is checked: for linearizability (per key) and lost writes (the register workload),
/// or for consistent snapshots of bank accounts under transactions (the bank workload).</summary>
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
        var workload = new Option<string>("--workload") { Description = "register (reads, writes, cas; unique writes) or bank (transfers between accounts in transactions)", DefaultValueFactory = _ => "register" };
        var accounts = new Option<int>("--accounts") { Description = "bank accounts (bank workload only)", DefaultValueFactory = _ => 16 };
        var command = new Command("chaos", """
            Jepsen-style test on real processes: PD and --stores stores on loopback, each store behind a fault
            proxy; clients run the workload, recording every operation: reads, writes and compare-and-swaps on a
            few keys plus unique writes (register), or transfers between accounts and snapshot reads of every
            balance in transactions (bank); a nemesis kills, pauses, partitions and reconfigures the cluster.
            Afterwards the faults heal, the history is checked, and the run ends with "ops N, anomalies A, lost L"
            (exit 1 if A or L is not 0, or if no bank transfer committed).
            Example: multiraft chaos --duration 60s --seed 7 --nemesis kill,partition
            Example: multiraft chaos --workload bank --accounts 16 --duration 45s --seed 7
            """)
        {
            duration, seed, nemesis, stores, clients, history, keep, workload, accounts,
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
                : parse.GetValue(workload) is not ("register" or "bank") ? $"unknown workload '{parse.GetValue(workload)}'; known: register, bank"
                : parse.GetValue(accounts) is < 2 or > 1000 ? "--accounts must be between 2 and 1000"
                : null;
            if (error is not null)
            {
                return CliDefaults.Fail(error, 2);
            }
            var runSeed = parse.GetValue(seed) ?? Random.Shared.Next();
            return await RunAsync(new ChaosSettings(length!.Value, runSeed, kinds, storeCount, workers, parse.GetValue(history), parse.GetValue(keep),
                parse.GetValue(workload)!, parse.GetValue(accounts)), cancellation).ConfigureAwait(false);
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
        var bank = settings.Workload == "bank";
        Console.WriteLine($"chaos: seed {settings.Seed}, {settings.Duration.TotalSeconds:0} s, workload {settings.Workload}, nemesis {string.Join(',', settings.Nemesis)}, {settings.Stores} stores, {settings.Clients} clients; run directory {root}");
        Console.WriteLine($"reproduce with: multiraft chaos --duration {settings.Duration.TotalSeconds:0}s --seed {settings.Seed}{(bank ? $" --workload bank --accounts {settings.Accounts}" : "")} --nemesis {string.Join(',', settings.Nemesis)} --stores {settings.Stores} --clients {settings.Clients}");
        var random = new Random(settings.Seed);
        ChaosVerdict verdict;
        await using (var cluster = await ChaosCluster.StartAsync(root, settings.Stores, replicas: 3, cancellation).ConfigureAwait(false))
        {
            // The seeds are drawn in this order whatever the workload, so a register run replays as before.
            var workloadSeed = new Random(random.Next());
            await using IChaosWorkload workload = bank ? new BankWorkload(cluster.PdEndpoint, settings.Accounts, workloadSeed) : new RegisterWorkload(cluster.PdEndpoint, workloadSeed);
            var ops = new AdminOps(cluster, workload.SplitKey, workload.AimOpsAtKeys, new Random(random.Next()));
            var nemesisSeed = new Random(random.Next());
            await ops.SplitAtAsync(workload.PreSplitKeys, cancellation).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(historyPath))!);
            using (var history = HistoryWriter.Create(historyPath))
            {
                await workload.PrepareAsync(history, cancellation).ConfigureAwait(false);
                var nemesis = new Nemesis(cluster, ops, settings.Nemesis, nemesisSeed, Console.Out);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                stop.CancelAfter(settings.Duration);
                var clock = Stopwatch.StartNew();
                await Task.WhenAll(workload.RunAsync(history, settings.Clients, stop.Token), nemesis.RunAsync(stop.Token)).ConfigureAwait(false);
                nemesis.HealAll();
                Console.WriteLine($"{clock.Elapsed.TotalSeconds,7:0.0}s load stopped, faults healed; {history.Count} events recorded");
            }
            verdict = await CheckAfterHealingAsync(workload, historyPath, cancellation).ConfigureAwait(false);
        }
        Console.WriteLine($"history: {historyPath}");
        if (!verdict.IsValid || verdict.Counts is not null)
        {
            Console.WriteLine(verdict.IsValid ? verdict.Counts : verdict.Report);
        }
        if (verdict.Futile is not null)
        {
            Console.WriteLine($"futile run: {verdict.Futile}");
        }
        var passed = verdict.IsValid && verdict.Futile is null;
        if (!settings.Keep && passed && settings.HistoryPath is null)
        {
            TryDelete(root);
        }
        Console.WriteLine(verdict.Summary);
        return passed ? 0 : 1;
    }

    /// <summary>The workload's check, which starts with a final read. A cluster that still cannot answer it a
    /// minute after every fault healed fails the run as unavailable, reported like any other failure (the run
    /// directory and its history stay for a look) instead of ending the command with an unhandled exception.</summary>
    private static async Task<ChaosVerdict> CheckAfterHealingAsync(IChaosWorkload workload, string historyPath, CancellationToken cancellation)
    {
        try
        {
            return await workload.CheckAsync(History.Pair(HistoryReader.ReadFile(historyPath)), cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (BankClients.CommittedNothing(e)) // The errors of a call that got no answer.
        {
            var unavailable = $"unavailable after healing: the final read got no answer ({e.GetType().Name}: {e.Message})";
            return new ChaosVerdict(false, unavailable, unavailable);
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

    private sealed record ChaosSettings(TimeSpan Duration, int Seed, IReadOnlySet<string> Nemesis, int Stores, int Clients, string? HistoryPath, bool Keep,
        string Workload, int Accounts);
}
