using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using MultiRaft.Client;
using MultiRaft.Client.Txn;
using MultiRaft.Transport.Rpc;

namespace MultiRaft.Cli;

/// <summary><c>multiraft txn put | get | delete | gc</c>: quick checks of the transactional key space (which
/// <c>kv</c> does not see, nor it <c>kv</c>'s keys) through the transaction client. Keys and values are UTF-8.
/// Arguments are checked before anything is sent, so a bad one changes nothing.</summary>
internal static class TxnCommand
{
    public static Command Create() =>
        new("txn", "Read and write the transactional key space (apart from kv's), each command one transaction. Example: multiraft txn put apple=red pear=green")
        {
            Put(), Get(), Delete(), Gc(),
        };

    private static Command Put()
    {
        var pd = CliDefaults.PdOption();
        var pairs = new Argument<string[]>("pairs") { Description = "KEY=VALUE (the value may be empty)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("put", "Set every KEY to its VALUE in one transaction; prints the commit timestamp. Example: multiraft txn put apple=red pear=green") { pairs, pd };
        command.SetAction((parse, cancellation) => Run(parse.GetValue(pd)!, () => ParsePairs(parse.GetValue(pairs)!), (client, writes) =>
            CommitAsync(client, txn =>
            {
                foreach (var (key, value) in writes)
                {
                    txn.Put(key, value);
                }
            }, cancellation)));
        return command;
    }

    private static Command Get()
    {
        var pd = CliDefaults.PdOption();
        var keys = new Argument<string[]>("keys") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("get", "Read KEYs in one snapshot; prints KEY=VALUE, or KEY (absent), one per line. Example: multiraft txn get apple pear") { keys, pd };
        command.SetAction((parse, cancellation) => Run(parse.GetValue(pd)!, () => ParseKeys(parse.GetValue(keys)!), async (client, names) =>
        {
            await using var txn = await client.BeginAsync(cancellation).ConfigureAwait(false);
            var found = await txn.BatchGetAsync([.. names.Select(Encoding.UTF8.GetBytes)], cancellation).ConfigureAwait(false);
            var values = found.ToDictionary(p => Encoding.UTF8.GetString(p.Key), p => Encoding.UTF8.GetString(p.Value), StringComparer.Ordinal);
            foreach (var name in names)
            {
                Console.WriteLine(values.TryGetValue(name, out var value) ? $"{name}={value}" : $"{name} (absent)");
            }
            return 0;
        }));
        return command;
    }

    private static Command Delete()
    {
        var pd = CliDefaults.PdOption();
        var keys = new Argument<string[]>("keys") { Arity = ArgumentArity.OneOrMore };
        var command = new Command("delete", "Delete KEYs in one transaction (an absent key is no error); prints the commit timestamp. Example: multiraft txn delete apple") { keys, pd };
        command.SetAction((parse, cancellation) => Run(parse.GetValue(pd)!, () => ParseKeys(parse.GetValue(keys)!), (client, names) =>
            CommitAsync(client, txn =>
            {
                foreach (var name in names)
                {
                    txn.Delete(Encoding.UTF8.GetBytes(name));
                }
            }, cancellation)));
        return command;
    }

    private static Command Gc()
    {
        var pd = CliDefaults.PdOption();
        var safePoint = new Option<ulong?>("--safe-point") { Description = "drop the versions no read at or after this timestamp can see (default: PD's current time)" };
        var command = new Command("gc", "Move the GC safe point up (never past a running transaction) and collect old versions; prints what was done. Example: multiraft txn gc") { safePoint, pd };
        command.SetAction((parse, cancellation) => Run(parse.GetValue(pd)!, () => parse.GetValue(safePoint), async (client, requested) =>
        {
            // PD refuses a safe point it has not handed out as a timestamp yet; asking first keeps that a bad argument.
            ulong now;
            await using (var pdClient = new PdClient(PdClient.ParseEndpoints(parse.GetValue(pd)!)))
            {
                now = await pdClient.TsoAsync(1, cancellation).ConfigureAwait(false);
            }
            var target = requested ?? now;
            if (target == 0 || target > now)
            {
                return CliDefaults.Fail($"--safe-point must be between 1 and PD's current time {now}, not {target}", 2);
            }
            var report = await client.GcAsync(target, cancellation).ConfigureAwait(false);
            var heldBack = report.SafePoint < target ? $" (asked for {target}: running transactions, or PD's wait after a restart, hold it back)" : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"safe point {report.SafePoint}{heldBack}: {report.Regions} regions, {report.LocksResolved} locks resolved, {report.VersionsDeleted} versions deleted"));
            return 0;
        }));
        return command;
    }

    /// <summary>"KEY=VALUE" arguments, split at the first '='; a key given twice is refused (which would win?).</summary>
    private static List<(byte[] Key, byte[] Value)> ParsePairs(string[] arguments)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pairs = new List<(byte[], byte[])>();
        foreach (var argument in arguments)
        {
            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                throw new ArgumentException($"'{argument}' is not KEY=VALUE");
            }
            var key = argument[..equals];
            if (key.Length == 0)
            {
                throw new ArgumentException($"'{argument}' has an empty key");
            }
            if (!seen.Add(key))
            {
                throw new ArgumentException($"key '{key}' is given twice");
            }
            pairs.Add((Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(argument[(equals + 1)..])));
        }
        return pairs;
    }

    private static string[] ParseKeys(string[] keys) =>
        Array.Find(keys, k => k.Length == 0) is null ? keys : throw new ArgumentException("a key must not be empty");

    /// <summary>One transaction of the buffered writes <paramref name="write"/> makes; prints its commit timestamp.</summary>
    private static async Task<int> CommitAsync(TxnClient client, Action<Transaction> write, CancellationToken cancellation)
    {
        await using var txn = await client.BeginAsync(cancellation).ConfigureAwait(false);
        write(txn); // The client checks every key and value here, before anything is sent.
        Console.WriteLine((await txn.CommitAsync(cancellation).ConfigureAwait(false)).ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>Checks the arguments (<paramref name="parse"/> throws <see cref="ArgumentException"/>: exit 2,
    /// nothing sent), then runs the call with a client; every failure becomes a one-line message and exit 1.</summary>
    private static async Task<int> Run<T>(string pd, Func<T> parse, Func<TxnClient, T, Task<int>> call)
    {
        T arguments;
        IReadOnlyList<IPEndPoint> endpoints;
        try
        {
            arguments = parse();
            endpoints = PdClient.ParseEndpoints(pd);
        }
        catch (ArgumentException e)
        {
            return CliDefaults.Fail(e.Message, 2);
        }
        var client = new TxnClient(endpoints, new TxnClientOptions { CommitSecondariesInBackground = false });
        await using (client.ConfigureAwait(false))
        {
            try
            {
                return await call(client, arguments).ConfigureAwait(false);
            }
            catch (ArgumentException e) // KvInvalidArgumentException included: a key or value over the limits.
            {
                return CliDefaults.Fail(e.Message, 2);
            }
            catch (TxnConflictException e)
            {
                return CliDefaults.Fail($"{e.Message} (nothing was committed; run it again)");
            }
            catch (Exception e) when (e is RpcConnectionException or RpcTimeoutException)
            {
                return CliDefaults.Fail($"PD at {pd} is unreachable: {e.Message}");
            }
            catch (Exception e) when (e is ClusterUnavailableException or UnknownOutcomeException or KvTimeoutException or RpcRemoteException)
            {
                return CliDefaults.Fail(e.Message);
            }
        }
    }
}
