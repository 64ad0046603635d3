using System.CommandLine;
using System.Text;
using MultiRaft.Client;

namespace MultiRaft.Cli;

/// <summary><c>multiraft kv put | get | delete | scan</c>: quick reads and writes through the client
/// library. Keys and values are UTF-8.</summary>
internal static class KvCommand
{
    public static Command Create()
    {
        var command = new Command("kv", "Read and write keys (UTF-8) through the range-routed client. Example: multiraft kv put hello world");
        command.Subcommands.Add(Put());
        command.Subcommands.Add(Get());
        command.Subcommands.Add(Delete());
        command.Subcommands.Add(Scan());
        return command;
    }

    private static Command Put()
    {
        var pd = CliDefaults.PdOption();
        var key = new Argument<string>("key");
        var value = new Argument<string>("value");
        var command = new Command("put", "Set KEY to VALUE. Example: multiraft kv put hello world") { key, value, pd };
        command.SetAction((parse, cancellation) => WithClient(parse.GetValue(pd)!, async client =>
        {
            await client.PutAsync(Encoding.UTF8.GetBytes(parse.GetValue(key)!), Encoding.UTF8.GetBytes(parse.GetValue(value)!), cancellation).ConfigureAwait(false);
            Console.WriteLine("OK");
            return 0;
        }));
        return command;
    }

    private static Command Get()
    {
        var pd = CliDefaults.PdOption();
        var key = new Argument<string>("key");
        var command = new Command("get", "Print the value of KEY alone on stdout; exit code 1 if it is absent. Example: multiraft kv get hello") { key, pd };
        command.SetAction((parse, cancellation) => WithClient(parse.GetValue(pd)!, async client =>
        {
            var name = parse.GetValue(key)!;
            var found = await client.GetAsync(Encoding.UTF8.GetBytes(name), cancellation).ConfigureAwait(false);
            if (found is null)
            {
                return CliDefaults.Fail($"key '{name}' not found");
            }
            Console.WriteLine(Encoding.UTF8.GetString(found));
            return 0;
        }));
        return command;
    }

    private static Command Delete()
    {
        var pd = CliDefaults.PdOption();
        var key = new Argument<string>("key");
        var command = new Command("delete", "Delete KEY (deleting an absent key is not an error). Example: multiraft kv delete hello") { key, pd };
        command.SetAction((parse, cancellation) => WithClient(parse.GetValue(pd)!, async client =>
        {
            await client.DeleteAsync(Encoding.UTF8.GetBytes(parse.GetValue(key)!), cancellation).ConfigureAwait(false);
            Console.WriteLine("OK");
            return 0;
        }));
        return command;
    }

    private static Command Scan()
    {
        var pd = CliDefaults.PdOption();
        var start = new Argument<string>("start");
        var end = new Argument<string>("end") { Description = "exclusive end key; \"\" scans to the end of the key space" };
        var limit = new Option<int>("--limit") { Description = "at most this many pairs", DefaultValueFactory = _ => 100 };
        var command = new Command("scan", "Print key<TAB>value for keys in [START, END), in order. Example: multiraft kv scan a z --limit 10") { start, end, limit, pd };
        command.SetAction((parse, cancellation) => WithClient(parse.GetValue(pd)!, async client =>
        {
            var max = parse.GetValue(limit);
            if (max < 1)
            {
                return CliDefaults.Fail("--limit must be at least 1", 2);
            }
            var pairs = await client.ScanAsync(Encoding.UTF8.GetBytes(parse.GetValue(start)!), Encoding.UTF8.GetBytes(parse.GetValue(end)!), max, cancellation).ConfigureAwait(false);
            foreach (var pair in pairs)
            {
                Console.WriteLine($"{Encoding.UTF8.GetString(pair.Key)}\t{Encoding.UTF8.GetString(pair.Value)}");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Runs one call with a client; every failure becomes a one-line message and a non-zero exit.</summary>
    private static async Task<int> WithClient(string pd, Func<RawKvClient, Task<int>> call)
    {
        RawKvClient client;
        try
        {
            client = RawKvClient.Create(pd);
        }
        catch (ArgumentException e)
        {
            return CliDefaults.Fail(e.Message, 2);
        }
        await using (client.ConfigureAwait(false))
        {
            try
            {
                return await call(client).ConfigureAwait(false);
            }
            catch (KvInvalidArgumentException e)
            {
                return CliDefaults.Fail(e.Message, 2);
            }
            catch (Exception e) when (e is ClusterUnavailableException or UnknownOutcomeException or KvTimeoutException)
            {
                return CliDefaults.Fail(e.Message);
            }
        }
    }
}
