using System.CommandLine;
using System.Text.Json;
using MultiRaft.PlacementDriver.Http;
using MultiRaft.PlacementDriver.Scheduling;

namespace MultiRaft.Cli;

/// <summary><c>multiraft scheduler list | enable NAME | disable NAME | config NAME KEY VALUE</c>: PD's schedulers,
/// their switches and their settings (keys in lowerCamelCase, as <c>list --json</c> shows them).</summary>
internal static class SchedulerCommand
{
    public static Command Create()
    {
        var command = new Command("scheduler", "List PD's schedulers, switch one on or off, or change one of its settings. "
            + "Example: multiraft scheduler config balance-leader tolerance 3");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Switch("enable", "Example: multiraft scheduler enable balance-region"));
        command.Subcommands.Add(Switch("disable", "Example: multiraft scheduler disable balance-leader"));
        command.Subcommands.Add(Config());
        return command;
    }

    private static Command List()
    {
        var pd = CliDefaults.PdOption();
        var json = OpsCommands.JsonOption();
        var list = new Command("list", "The schedulers, whether each runs, and its settings. Example: multiraft scheduler list --json") { pd, json };
        list.SetAction((parse, cancellation) => OpsCommands.RunAsync(parse.GetValue(pd)!, async api =>
        {
            var schedulers = await api.GetAsync<JsonElement[]>("schedulers", cancellation).ConfigureAwait(false);
            OpsCommands.Print(parse.GetValue(json), schedulers, ["NAME", "ENABLED", "CONFIG"],
                s => [s.GetProperty("name").GetString()!, s.GetProperty("enabled").ToString(), Settings(s.GetProperty("config"))]);
        }));
        return list;
    }

    /// <summary>"tolerance=2 maxOperatorsPerRound=4": the keys <c>config</c> takes, with their values.</summary>
    private static string Settings(JsonElement config) => string.Join(' ', config.EnumerateObject().Select(p => $"{p.Name}={p.Value.GetRawText()}"));

    private static Command Switch(string action, string example)
    {
        var pd = CliDefaults.PdOption();
        var name = NameArgument();
        var command = new Command(action, $"{char.ToUpperInvariant(action[0])}{action[1..]} a scheduler. {example}") { name, pd };
        command.SetAction((parse, cancellation) => OpsCommands.RunAsync(parse.GetValue(pd)!, async api =>
        {
            await api.PostAsync<JsonElement>($"schedulers/{Uri.EscapeDataString(parse.GetValue(name)!)}/{action}", new { }, cancellation).ConfigureAwait(false);
            Console.WriteLine($"{parse.GetValue(name)} {action}d");
        }));
        return command;
    }

    private static Command Config()
    {
        var pd = CliDefaults.PdOption();
        var json = OpsCommands.JsonOption();
        var name = NameArgument();
        var key = new Argument<string>("key") { Description = "the setting, as `scheduler list` shows it (e.g. tolerance, maxOperatorsPerRound)" };
        var value = new Argument<string>("value") { Description = "its new value (a number, true or false)" };
        var command = new Command("config", "Change one setting of a scheduler; PD checks it and keeps the old value if it is refused. "
            + "Example: multiraft scheduler config balance-region maxOperatorsPerRound 4") { name, key, value, pd, json };
        command.SetAction((parse, cancellation) => OpsCommands.RunAsync(parse.GetValue(pd)!, async api =>
        {
            var body = new SettingBody(parse.GetValue(key), parse.GetValue(value));
            var changed = await api.PostAsync<JsonElement>($"schedulers/{Uri.EscapeDataString(parse.GetValue(name)!)}/config", body, cancellation).ConfigureAwait(false);
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(changed, PdHttp.Json) : $"{parse.GetValue(name)}: {Settings(changed.GetProperty("config"))}");
        }));
        return command;
    }

    private static Argument<string> NameArgument() => new("name") { Description = string.Join(", ", SchedulerRunner.AllNames) };
}
