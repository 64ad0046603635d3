using System.CommandLine;
using System.Text.Json;
using MultiRaft.PlacementDriver.Http;
using MultiRaft.PlacementDriver.Scheduling;

namespace MultiRaft.Cli;

/// <summary><c>multiraft region | hot | operators | transfer-leader | add-peer | remove-peer | move-peer</c>: one
/// region, the hottest regions, PD's operators, and the operators an operator can ask for — all through PD's HTTP
/// API.</summary>
internal static class OperatorCommands
{
    public static IEnumerable<Command> All() =>
    [
        Region(), Hot(), Operators(),
        Step("transfer-leader", "Move a region's leadership to its peer on a store. Example: multiraft transfer-leader --region 2 --to 3", to: true),
        Step("add-peer", "Add a replica of a region on a store (learner, then promoted). Example: multiraft add-peer --region 2 --store 4", store: true),
        Step("remove-peer", "Remove a region's replica from a store. Example: multiraft remove-peer --region 2 --store 4", store: true),
        Step("move-peer", "Move a region's replica from one store to another. Example: multiraft move-peer --region 2 --from 1 --to 4", to: true, from: true),
    ];

    private static Command Region()
    {
        var pd = CliDefaults.PdOption();
        var json = OpsCommands.JsonOption();
        var id = new Argument<ulong>("id") { Description = "region id" };
        var command = new Command("region", "Show one region. Example: multiraft region 2 --json") { id, pd, json };
        command.SetAction((parse, cancellation) => OpsCommands.RunAsync(parse.GetValue(pd)!, async api =>
            OpsCommands.PrintRegions(parse.GetValue(json), [await api.GetAsync<RegionView>($"regions/{parse.GetValue(id)}", cancellation).ConfigureAwait(false)])));
        return command;
    }

    private static Command Hot()
    {
        var pd = CliDefaults.PdOption();
        var json = OpsCommands.JsonOption();
        var command = new Command("hot", "The regions with the most read and write traffic, hottest first. Example: multiraft hot") { pd, json };
        command.SetAction((parse, cancellation) => OpsCommands.RunAsync(parse.GetValue(pd)!, async api =>
            OpsCommands.PrintRegions(parse.GetValue(json), await api.GetAsync<RegionView[]>("hot", cancellation).ConfigureAwait(false))));
        return command;
    }

    private static Command Operators()
    {
        var pd = CliDefaults.PdOption();
        var json = OpsCommands.JsonOption();
        var command = new Command("operators", "PD's running operators and the recently finished ones, with why. Example: multiraft operators") { pd, json };
        command.SetAction((parse, cancellation) => OpsCommands.RunAsync(parse.GetValue(pd)!, async api =>
        {
            var operators = await api.GetAsync<OperatorsView>("operators", cancellation).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(operators, PdHttp.Json));
                return;
            }
            PrintOperators([.. operators.Running, .. operators.History]);
        }));
        return command;
    }

    /// <summary>Operators as a table: what, by whom, where each stands, and why.</summary>
    public static void PrintOperators(OperatorView[] operators) =>
        Terminal.Table(["ID", "REGION", "KIND", "BY", "STATE", "STEP", "REASON / OUTCOME"], operators.Select(o => new[]
        {
            $"{o.Id}", $"{o.RegionId}", $"{o.Kind}", o.Scheduler, $"{o.State}", StepOf(o), o.Outcome is null ? o.Reason : $"{o.Reason}; {o.Outcome}",
        }));

    /// <summary>"2/3": the step an operator is at (its last once it ended), of how many.</summary>
    public static string StepOf(OperatorView o) => $"{Math.Min(o.CurrentStep + 1, o.Steps.Length)}/{o.Steps.Length}";

    /// <summary>A command that asks PD for one operator on a region.</summary>
    private static Command Step(string name, string description, bool to = false, bool from = false, bool store = false)
    {
        var pd = CliDefaults.PdOption();
        var json = OpsCommands.JsonOption();
        var region = new Option<ulong>("--region") { Description = "the region", Required = true };
        var toStore = new Option<ulong>("--to") { Description = "target store id", Required = true };
        var fromStore = new Option<ulong>("--from") { Description = "source store id", Required = true };
        var storeId = new Option<ulong>("--store") { Description = "store id", Required = true };
        var command = new Command(name, description) { region, pd, json };
        if (to)
        {
            command.Options.Add(toStore);
        }
        if (from)
        {
            command.Options.Add(fromStore);
        }
        if (store)
        {
            command.Options.Add(storeId);
        }
        command.SetAction((parse, cancellation) => OpsCommands.RunAsync(parse.GetValue(pd)!, async api =>
        {
            var body = new CommandBody(parse.GetValue(region), null,
                to ? parse.GetValue(toStore) : null, from ? parse.GetValue(fromStore) : null, store ? parse.GetValue(storeId) : null);
            var accepted = await api.PostAsync<Accepted>(name, body, cancellation).ConfigureAwait(false);
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(accepted, PdHttp.Json) : $"operator {accepted.OperatorId}: {accepted.Description} scheduled");
        }));
        return command;
    }
}
