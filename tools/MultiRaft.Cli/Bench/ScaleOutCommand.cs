using System.CommandLine;
using System.Globalization;
using MultiRaft.PlacementDriver.Scheduling;
using MultiRaft.PlacementDriver.Scheduling.Schedulers;

namespace MultiRaft.Cli.Bench;

/// <summary>What <c>bench scale-out</c> reports (and writes with <c>--json</c>).</summary>
internal sealed record ScaleOutResult(
    double SingleRegionOpsPerSec,
    double BalancedOpsPerSec,
    double Ratio,
    int RegionsAtEnd,
    ScaleOutStore[] StoresAtEnd,
    ScaleOutEvent[] Events,
    BenchResult Run);

internal sealed record ScaleOutStore(ulong StoreId, int Regions, int Leaders);

internal sealed record ScaleOutEvent(int Sec, string Kind, ulong RegionId, string Scheduler, string Reason);

/// <summary>
/// <c>multiraft bench scale-out</c>: a local 3-store cluster with one region takes a write-heavy load with PD's
/// load-based split and balancing off; then they are switched on, PD splits the hot region at sampled keys and
/// spreads the leaders, and the load runs on. The summary compares the steady throughput of the first phase
/// with that of the last phase.
/// </summary>
internal static class ScaleOutCommand
{
    /// <summary>What PD may do once balancing starts: split by load, and move leaders and hot regions.</summary>
    private static readonly string[] BalancingSchedulers = [LoadSplitScheduler.SchedulerName, BalanceLeaderScheduler.SchedulerName, HotRegionScheduler.SchedulerName];

    public static Command Create()
    {
        var options = new BenchOptions();
        var baseline = new Option<string>("--baseline") { Description = "how long the single region is measured before PD may balance", DefaultValueFactory = _ => "30s" };
        var after = new Option<string>("--after") { Description = "the final window whose throughput counts as balanced", DefaultValueFactory = _ => "30s" };
        var command = new Command("scale-out", """
            The scale-out experiment: a local 3-store cluster with one region under a write-heavy load; after
            --baseline, PD's load-based split (at a sixth of the single region's rate, at least TiKV's 3,000
            keys/s), balance-leader and hot-region schedulers are switched on. --duration
            is the whole measured run; the last --after of it counts as balanced. Busy regions report to PD every
            2 s so PD sees the load quickly. Prints both steady throughputs, their ratio, and the splits and leader
            moves (marked on --chart).
            Example: multiraft bench scale-out --duration 150s --baseline 30s --after 30s --chart scale-out.svg
            """)
        {
            baseline, after,
        };
        foreach (var option in options.All.Where(o => o != options.Pd && o != options.Local))
        {
            command.Options.Add(option);
        }
        options.Duration.DefaultValueFactory = _ => "150s";
        command.SetAction((parse, cancellation) => BenchCommand.GuardAsync(async () =>
        {
            var settings = options.Settings(parse);
            var baselineTime = DurationText.Parse(parse.GetValue(baseline)!, "--baseline");
            var afterTime = DurationText.Parse(parse.GetValue(after)!, "--after");
            if (baselineTime < TimeSpan.FromSeconds(5) || afterTime < TimeSpan.FromSeconds(5) || baselineTime + afterTime >= settings.Duration)
            {
                throw new ArgumentException("--baseline and --after must be at least 5s each and leave time for balancing within --duration");
            }
            var result = await RunAsync(settings, (int)baselineTime.TotalSeconds, (int)afterTime.TotalSeconds, cancellation).ConfigureAwait(false);
            PrintSummary(result);
            BenchCommand.WriteOutputs(parse.GetValue(options.Json), parse.GetValue(options.Chart), result,
                string.Create(CultureInfo.InvariantCulture, $"scale-out: {result.SingleRegionOpsPerSec:N0} → {result.BalancedOpsPerSec:N0} ops/s ({result.Ratio:0.00}×)"),
                [.. result.Events.Select(e => new ChartEvent(e.Sec, $"{e.Kind} r{e.RegionId}")), new ChartEvent(baselineTime.TotalSeconds, "balancing on")], result.Run);
        }));
        return command;
    }

    private static async Task<ScaleOutResult> RunAsync(BenchSettings settings, int baselineSeconds, int afterSeconds, CancellationToken cancellation)
    {
        var scheduling = new SchedulingOptions { Enabled = [ReplicaRepairScheduler.SchedulerName] };
        await using var target = await BenchTarget.OpenAsync("", 3, Console.Error, cancellation, scheduling,
            store => store with { BusyRegionHeartbeatInterval = TimeSpan.FromSeconds(2) }).ConfigureAwait(false);
        var pd = target.Local!.Pd;
        var events = new List<ScaleOutEvent>();
        var seen = new HashSet<long>();
        var baseline = new List<TimelinePoint>();
        var runner = new BenchRunner(settings, target, Console.Error)
        {
            OnSecond = point =>
            {
                if (point.Sec == baselineSeconds)
                {
                    // TiKV's 3,000 keys/s would cut this one box's load into dozens of regions; a sixth of the
                    // single region's rate gives about two per store, which is all spreading needs.
                    var splitAt = (long)Math.Max(new LoadSplitConfig().KeysPerSec, Mean(baseline) / 6);
                    var loadSplit = (LoadSplitScheduler)pd.Schedulers!.Find(LoadSplitScheduler.SchedulerName)!;
                    loadSplit.Config = loadSplit.Config with { KeysPerSec = splitAt };
                    foreach (var name in BalancingSchedulers)
                    {
                        pd.Schedulers.SetEnabled(name, true);
                    }
                    Console.Error.WriteLine($"balancing on: load-split (regions over {splitAt:N0} keys/s), balance-leader, hot-region");
                }
                if (point.Sec <= baselineSeconds)
                {
                    baseline.Add(point);
                }
                foreach (var op in pd.Operators!.History().Where(o => o.State == OperatorState.Finished && seen.Add(o.Id)))
                {
                    events.Add(new ScaleOutEvent(point.Sec, op.Kind.ToString(), op.RegionId, op.Scheduler, op.Reason));
                    Console.Error.WriteLine($"  {op.Kind} of region {op.RegionId} by {op.Scheduler}: {op.Reason}");
                }
            },
        };
        var run = await runner.RunAsync(cancellation).ConfigureAwait(false);
        var before = Mean(baseline);
        var balanced = Mean(run.Timeline.Where(p => p.Sec > run.Timeline.Length - afterSeconds));
        var stores = target.Local.Stores.Select(s => new ScaleOutStore(s.StoreId, s.RegionCount, s.LeaderCount)).ToArray();
        return new ScaleOutResult(Math.Round(before), Math.Round(balanced), before == 0 ? 0 : Math.Round(balanced / before, 2),
            pd.Regions.Snapshot().Length, stores, [.. events], run);
    }

    private static double Mean(IEnumerable<TimelinePoint> points) => points.Select(p => p.OpsPerSec).DefaultIfEmpty(0).Average();

    private static void PrintSummary(ScaleOutResult result)
    {
        BenchCommand.PrintSummary(result.Run);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scale-out: one region {result.SingleRegionOpsPerSec:N0} ops/s, after balancing {result.BalancedOpsPerSec:N0} ops/s: {result.Ratio:0.00}×"));
        Console.WriteLine($"{result.RegionsAtEnd} regions; per store (regions/leaders): "
            + string.Join(", ", result.StoresAtEnd.Select(s => $"store {s.StoreId} {s.Regions}/{s.Leaders}")));
        Console.WriteLine($"{result.Events.Count(e => e.Kind == nameof(OperatorKind.Split))} splits, "
            + $"{result.Events.Count(e => e.Kind == nameof(OperatorKind.TransferLeader))} leader transfers, {result.Events.Length} operators in all");
    }
}
