using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using MultiRaft.PlacementDriver.Http;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.PlacementDriver.Scheduling.Schedulers;

namespace MultiRaft.Cli;

/// <summary>
/// <c>multiraft rebalance [--dry-run] [--timeout S]</c>: asks PD's balance-region and balance-leader schedulers
/// (enabled or not) for a round at a time and follows the operators they start until a round proposes nothing,
/// none of them runs any more and the regions they moved have settled — balanced — or the timeout passes. Reports the operators and each store's leader
/// and replica counts before and after; a dry run shows the first round's operators and the counts they would
/// lead to, and starts nothing.
/// </summary>
internal static class RebalanceCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly string[] Balancers = [BalanceRegionScheduler.SchedulerName, BalanceLeaderScheduler.SchedulerName];

    /// <summary>What <c>--json</c> prints.</summary>
    private sealed record Result<TOperator>(TOperator[] Operators, StoreCountView[] Before, StoreCountView[] After, bool Balanced);

    public static Command Create()
    {
        var pd = CliDefaults.PdOption();
        var json = OpsCommands.JsonOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "only show the operators PD would start now, and the counts they would lead to" };
        var timeout = new Option<int>("--timeout")
        {
            Description = "give up waiting after this many seconds (PD carries on with what it started)",
            DefaultValueFactory = _ => 60,
        };
        var command = new Command("rebalance", "Balance leaders and replicas across the stores now, with PD's balance schedulers, and show "
            + "the counts per store before and after. Example: multiraft rebalance --dry-run") { pd, json, dryRun, timeout };
        command.SetAction((parse, cancellation) =>
        {
            var seconds = parse.GetValue(timeout);
            return seconds <= 0
                ? Task.FromResult(CliDefaults.Fail($"--timeout must be a positive number of seconds, not {seconds}", 2))
                : RunAsync(parse.GetValue(pd)!, parse.GetValue(json), parse.GetValue(dryRun), seconds, cancellation);
        });
        return command;
    }

    private static Task<int> RunAsync(string pd, bool json, bool dryRun, int seconds, CancellationToken cancellation) =>
        OpsCommands.RunAsync(pd, async api =>
        {
            var before = await CountsAsync(api, cancellation).ConfigureAwait(false);
            if (dryRun)
            {
                var plan = await api.GetAsync<RebalancePlanView>("rebalance", cancellation).ConfigureAwait(false);
                Report(json, new Result<PlannedOperatorView>(plan.Operators, before, plan.After, plan.Operators.Length == 0), PrintPlan,
                    plan.Operators.Length == 0 ? "balanced: PD proposes nothing" : "dry run: nothing was started");
                return;
            }
            var (operators, balanced) = await OperatorProgress.For(json)
                .RunAsync(show => FollowAsync(api, TimeSpan.FromSeconds(seconds), show, cancellation)).ConfigureAwait(false);
            var after = await CountsAsync(api, cancellation).ConfigureAwait(false);
            Report(json, new Result<OperatorView>(operators, before, after, balanced), OperatorCommands.PrintOperators,
                balanced ? "balanced: PD proposes nothing more" : null);
            if (!balanced)
            {
                var running = operators.Count(o => o.State == OperatorState.Running);
                throw new OpsException($"not balanced after {seconds} s ({running} operator(s) still running; PD carries on with them)");
            }
        });

    /// <summary>Starts rounds and follows their operators (and any the balance schedulers started on their own)
    /// until a round starts nothing while none of them runs and their regions settled, or <paramref name="timeout"/> passes.</summary>
    private static async Task<(OperatorView[] Operators, bool Balanced)> FollowAsync(PdHttp api, TimeSpan timeout, Action<IEnumerable<OperatorView>> show,
        CancellationToken cancellation)
    {
        var followed = new SortedDictionary<long, OperatorView>();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var started = await api.PostAsync<OperatorView[]>("rebalance", new { }, cancellation).ConfigureAwait(false);
            foreach (var o in started)
            {
                followed[o.Id] = o;
            }
            var operators = await api.GetAsync<OperatorsView>("operators", cancellation).ConfigureAwait(false);
            var running = false;
            foreach (var o in operators.Running.Concat(operators.History))
            {
                var mine = followed.ContainsKey(o.Id) || (o.State == OperatorState.Running && Balancers.Contains(o.Scheduler));
                if (mine)
                {
                    followed[o.Id] = o;
                    running |= o.State == OperatorState.Running;
                }
            }
            show(followed.Values);
            if (started.Length == 0 && !running && await SettledAsync(api, followed.Values, cancellation).ConfigureAwait(false))
            {
                return ([.. followed.Values], true);
            }
            if (clock.Elapsed >= timeout)
            {
                return ([.. followed.Values], false);
            }
            await Task.Delay(PollInterval, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the regions the operators moved have settled: the balancers skip a region with a
    /// catching-up (pending) peer, a learner or no known leader, so a round proposing nothing says nothing about
    /// it until then.</summary>
    private static async Task<bool> SettledAsync(PdHttp api, IEnumerable<OperatorView> operators, CancellationToken cancellation)
    {
        var moved = operators.Select(o => o.RegionId).ToHashSet();
        if (moved.Count == 0)
        {
            return true;
        }
        var regions = await api.GetAsync<RegionView[]>("regions", cancellation).ConfigureAwait(false);
        return !regions.Any(r => moved.Contains(r.Id) && (r.LeaderStoreId is null || r.PendingPeers.Length > 0 || r.Peers.Any(p => p.Role == "learner")));
    }

    private static async Task<StoreCountView[]> CountsAsync(PdHttp api, CancellationToken cancellation) =>
        Array.ConvertAll(await api.GetAsync<StoreView[]>("stores", cancellation).ConfigureAwait(false), s => new StoreCountView(s.Id, s.LeaderCount, s.RegionCount));

    private static void Report<TOperator>(bool json, Result<TOperator> result, Action<TOperator[]> printOperators, string? verdict)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result, PdHttp.Json));
            return;
        }
        if (result.Operators.Length > 0)
        {
            printOperators(result.Operators);
        }
        var after = result.After.ToDictionary(s => s.StoreId);
        Terminal.Table(["STORE", "LEADERS BEFORE", "AFTER", "REPLICAS BEFORE", "AFTER"], result.Before.Select(b => after.TryGetValue(b.StoreId, out var a)
            ? new[] { $"{b.StoreId}", $"{b.Leaders}", $"{a.Leaders}", $"{b.Replicas}", $"{a.Replicas}" }
            : [$"{b.StoreId}", $"{b.Leaders}", "-", $"{b.Replicas}", "-"]));
        if (verdict is not null)
        {
            Console.WriteLine(verdict);
        }
    }

    private static void PrintPlan(PlannedOperatorView[] operators) =>
        Terminal.Table(["REGION", "KIND", "BY", "STEPS", "REASON"], operators.Select(o => new[]
        {
            $"{o.RegionId}", $"{o.Kind}", o.Scheduler, string.Join("; ", o.Steps), o.Reason,
        }));
}
