using System.CommandLine;
using System.Text;
using MultiRaft.Client;

namespace MultiRaft.Cli;

/// <summary><c>multiraft kv put | get | delete | scan</c>: quick reads and writes through the client
/// library. Keys and values are UTF-8, or hex with <c>--hex</c> (given and printed).</summary>
internal static class KvCommand
{
    public static Command Create()
    {
        var command = new Command("kv", "Read and write keys (UTF-8, or hex with --hex) through the range-routed client. Example: multiraft kv put hello world");
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
        var hex = HexOption();
        var command = new Command("put", "Set KEY to VALUE. Example: multiraft kv put hello world") { key, value, pd, hex };
        command.SetAction((parse, cancellation) => WithClient(parse.GetValue(pd)!, async client =>
        {
            var h = parse.GetValue(hex);
            await client.PutAsync(Bytes(parse.GetValue(key)!, h), Bytes(parse.GetValue(value)!, h), cancellation).ConfigureAwait(false);
            Console.WriteLine("OK");
            return 0;
        }));
        return command;
    }

    private static Command Get()
    {
        var pd = CliDefaults.PdOption();
        var key = new Argument<string>("key");
        var hex = HexOption();
        var command = new Command("get", "Print the value of KEY alone on stdout; exit code 1 if it is absent. Example: multiraft kv get hello") { key, pd, hex };
        command.SetAction((parse, cancellation) => WithClient(parse.GetValue(pd)!, async client =>
        {
            var name = parse.GetValue(key)!;
            var found = await client.GetAsync(Bytes(name, parse.GetValue(hex)), cancellation).ConfigureAwait(false);
            if (found is null)
            {
                return CliDefaults.Fail($"key '{name}' not found");
            }
            Console.WriteLine(Text(found, parse.GetValue(hex)));
            return 0;
        }));
        return command;
    }

    private static Command Delete()
    {
        var pd = CliDefaults.PdOption();
        var key = new Argument<string>("key");
        var hex = HexOption();
        var command = new Command("delete", "Delete KEY (deleting an absent key is not an error). Example: multiraft kv delete hello") { key, pd, hex };
        command.SetAction((parse, cancellation) => WithClient(parse.GetValue(pd)!, async client =>
        {
            await client.DeleteAsync(Bytes(parse.GetValue(key)!, parse.GetValue(hex)), cancellation).ConfigureAwait(false);
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
        var hex = HexOption();
        var command = new Command("scan", "Print key<TAB>value for keys in [START, END), in order. Example: multiraft kv scan a z --limit 10") { start, end, limit, pd, hex };
        command.SetAction((parse, cancellation) => WithClient(parse.GetValue(pd)!, async client =>
        {
            var max = parse.GetValue(limit);
            if (max < 1)
            {
                return CliDefaults.Fail("--limit must be at least 1", 2);
            }
            var h = parse.GetValue(hex);
            var pairs = await client.ScanAsync(Bytes(parse.GetValue(start)!, h), Bytes(parse.GetValue(end)!, h), max, cancellation).ConfigureAwait(false);
            foreach (var pair in pairs)
            {
                Console.WriteLine($"{Text(pair.Key, h)}\t{Text(pair.Value, h)}");
            }
            return 0;
        }));
        return command;
    }

    private static Option<bool> HexOption() => new("--hex") { Description = "keys and values are given and printed as hex" };

    /// <summary>The bytes a command-line key or value stands for; bad hex is an argument error.</summary>
    private static byte[] Bytes(string text, bool hex)
    {
        if (!hex)
        {
            return Encoding.UTF8.GetBytes(text);
        }
        try
        {
            return Convert.FromHexString(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"'{text}' is not hex (--hex was given)");
        }
    }

    private static string Text(byte[] bytes, bool hex) => hex ? Convert.ToHexString(bytes) : Encoding.UTF8.GetString(bytes);

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
            catch (ArgumentException e) // KvInvalidArgumentException included: the cluster refused the argument.
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
