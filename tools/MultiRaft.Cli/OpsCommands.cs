using System.CommandLine;
using System.Text.Json;
using MultiRaft.PlacementDriver.Http;

namespace MultiRaft.Cli;

/// <summary><c>multiraft stores | regions | split</c>: the cluster as PD sees it, and asking PD to split a region.
/// Tables by default, <c>--json</c> for the API's JSON (the shapes are stable); and what every ops command shares:
/// <c>--json</c>, printing, and turning failures into a message and an exit code.</summary>
internal static class OpsCommands
{
    public static Command Stores()
    {
        var pd = CliDefaults.PdOption();
        var json = JsonOption();
        var command = new Command("stores", "List the stores: id, address, state, replicas and leaders. Example: multiraft stores --json") { pd, json };
        command.SetAction((parse, cancellation) => RunAsync(parse.GetValue(pd)!, async api =>
        {
            var stores = await api.GetAsync<StoreView[]>("stores", cancellation).ConfigureAwait(false);
            Print(parse.GetValue(json), stores, ["ID", "ADDRESS", "STATE", "REGIONS", "LEADERS"],
                s => [$"{s.Id}", s.Address, s.State, $"{s.RegionCount}", $"{s.LeaderCount}"]);
        }));
        return command;
    }

    public static Command Regions()
    {
        var pd = CliDefaults.PdOption();
        var json = JsonOption();
        var key = new Option<string?>("--key") { Description = "only the region holding this key (0x-prefixed hex for binary)" };
        var store = new Option<ulong?>("--store") { Description = "only regions with a replica on this store" };
        var range = new Option<string[]>("--range")
        {
            Description = "only regions overlapping [A, B); an empty B (\"\") means to the end",
            Arity = new ArgumentArity(2, 2),
            AllowMultipleArgumentsPerToken = true,
            HelpName = "A B",
        };
        var command = new Command("regions", "List the regions in key order: range, epoch, leader, peers, size; the filters combine. "
            + "Example: multiraft regions --range a m") { pd, json, key, range, store };
        command.SetAction((parse, cancellation) => RunAsync(parse.GetValue(pd)!, async api =>
        {
            var query = new List<string>();
            if (parse.GetValue(key) is { } k)
            {
                query.Add("key=" + Uri.EscapeDataString(k));
            }
            if (parse.GetValue(range) is [var start, var end])
            {
                query.Add("start=" + Uri.EscapeDataString(start));
                query.Add("end=" + Uri.EscapeDataString(end));
            }
            if (parse.GetValue(store) is { } s)
            {
                query.Add($"store={s}");
            }
            var regions = await api.GetAsync<RegionView[]>("regions" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), cancellation).ConfigureAwait(false);
            PrintRegions(parse.GetValue(json), regions);
        }));
        return command;
    }

    /// <summary>Regions as a table (range, epoch, leader store, peers by store with learners marked, keys, write
    /// rate) or JSON.</summary>
    public static void PrintRegions(bool json, RegionView[] regions) =>
        Print(json, regions, ["ID", "START", "END", "EPOCH", "LEADER", "PEERS", "KEYS", "WRITE KEYS/S"],
            r => [$"{r.Id}", r.StartKey.Length == 0 ? "(min)" : r.StartKey, r.EndKey.Length == 0 ? "(max)" : r.EndKey, $"{r.Epoch.ConfVer}/{r.Epoch.Version}",
                r.LeaderStoreId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                string.Join(',', r.Peers.Select(p => p.Role == "learner" ? $"{p.StoreId}(l)" : $"{p.StoreId}")), $"{r.ApproximateKeys}", $"{r.WriteKeysPerSec}"]);

    public static Command Split()
    {
        var pd = CliDefaults.PdOption();
        var json = JsonOption();
        var region = new Option<ulong>("--region") { Description = "the region to split", Required = true };
        var key = new Option<string?>("--key") { Description = "split key (default: the region's middle key); 0x-prefixed hex for binary" };
        var command = new Command("split", "Ask PD to split a region (its leader carries it out). Example: multiraft split --region 2 --key m") { pd, json, region, key };
        command.SetAction((parse, cancellation) => RunAsync(parse.GetValue(pd)!, async api =>
        {
            var accepted = await api.PostAsync<Accepted>("split", new CommandBody(parse.GetValue(region), parse.GetValue(key), null, null, null), cancellation).ConfigureAwait(false);
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(accepted, PdHttp.Json) : $"operator {accepted.OperatorId}: {accepted.Description} scheduled");
        }));
        return command;
    }

    public static Option<bool> JsonOption() => new("--json") { Description = "print JSON instead of a table" };

    public static async Task<int> RunAsync(string pd, Func<PdHttp, Task> run)
    {
        try
        {
            using var api = await PdHttp.ConnectAsync(pd, CancellationToken.None).ConfigureAwait(false);
            await run(api).ConfigureAwait(false);
            return 0;
        }
        catch (ArgumentException e)
        {
            return CliDefaults.Fail(e.Message, 2);
        }
        catch (OpsException e)
        {
            return CliDefaults.Fail(e.Message);
        }
    }

    /// <summary>A JSON array, or a table with a header row.</summary>
    public static void Print<T>(bool json, T[] rows, string[] header, Func<T, string[]> cells)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows, PdHttp.Json));
            return;
        }
        Terminal.Table(header, rows.Select(cells));
    }
}
