using System.Globalization;
using System.Text;
using MultiRaft.Chaos;
using MultiRaft.Client;

namespace MultiRaft.Cli.Chaos;

/// <summary>
/// The register workload's clients: workers that each run one operation at a time and record its invocation and outcome. Register
/// operations (read, write, compare-and-swap) go to a few hot keys, for the linearizability checker; set
/// operations write unique keys, for the lost-write check. An operation with an unknown outcome ends its
/// process (the worker continues under a new process id, as in Jepsen); a compare that did not match is
/// recorded as <c>fail</c>: it changed nothing.
/// </summary>
internal sealed class RegisterClients(RawKvClient client, HistoryWriter history, int registerKeys, Random seedSource)
{
    public const string SetPrefix = "set/";
    private long _nextProcess;
    private long _nextValue;

    public static string RegisterKey(int i) => "reg/" + i.ToString(CultureInfo.InvariantCulture);

    public Task RunAsync(int workers, CancellationToken cancellation) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkerAsync(new Random(seedSource.Next()), cancellation))));

    private async Task WorkerAsync(Random random, CancellationToken cancellation)
    {
        var process = Interlocked.Increment(ref _nextProcess);
        while (!cancellation.IsCancellationRequested)
        {
            var unknown = random.Next(10) switch
            {
                < 4 => await ReadAsync(process, RegisterKey(random.Next(registerKeys))).ConfigureAwait(false),
                < 6 => await WriteAsync(process, RegisterKey(random.Next(registerKeys)), NewValue()).ConfigureAwait(false),
                < 8 => await CasAsync(process, RegisterKey(random.Next(registerKeys)), random).ConfigureAwait(false),
                _ => await WriteAsync(process, SetPrefix + NewValue(), "1").ConfigureAwait(false),
            };
            if (unknown)
            {
                process = Interlocked.Increment(ref _nextProcess);
            }
        }
    }

    private string NewValue() => Interlocked.Increment(ref _nextValue).ToString(CultureInfo.InvariantCulture);

    /// <summary>Returns true when the outcome is unknown.</summary>
    private async Task<bool> ReadAsync(long process, string key)
    {
        history.Invoke(process, OpKind.Read, key, null);
        try
        {
            var value = await client.GetAsync(Encoding.UTF8.GetBytes(key)).ConfigureAwait(false);
            history.Ok(process, OpKind.Read, key, value is null ? null : Encoding.UTF8.GetString(value));
        }
        catch (Exception e) when (e is ClusterUnavailableException or KvTimeoutException or UnknownOutcomeException)
        {
            history.Fail(process, OpKind.Read, key, null); // A read that returned nothing observed nothing.
        }
        return false;
    }

    private async Task<bool> WriteAsync(long process, string key, string value)
    {
        history.Invoke(process, OpKind.Write, key, value);
        try
        {
            await client.PutAsync(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value)).ConfigureAwait(false);
            history.Ok(process, OpKind.Write, key, value);
            return false;
        }
        catch (Exception e) when (e is ClusterUnavailableException or KvTimeoutException)
        {
            history.Fail(process, OpKind.Write, key, value); // The client never sent it, or it was refused.
            return false;
        }
        catch (UnknownOutcomeException)
        {
            history.Info(process, OpKind.Write, key, value);
            return true;
        }
    }

    private async Task<bool> CasAsync(long process, string key, Random random)
    {
        // Expect a recent value of this worker's writes or absence: often right, sometimes not.
        var expected = random.Next(4) == 0 ? null : Math.Max(1, Interlocked.Read(ref _nextValue) - random.Next(5)).ToString(CultureInfo.InvariantCulture);
        var value = NewValue();
        history.Invoke(process, OpKind.Cas, key, value, expected);
        try
        {
            var (swapped, _) = await client.CompareAndSwapAsync(Encoding.UTF8.GetBytes(key),
                expected is null ? null : Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(value)).ConfigureAwait(false);
            if (swapped)
            {
                history.Ok(process, OpKind.Cas, key, value, expected);
            }
            else
            {
                history.Fail(process, OpKind.Cas, key, value, expected);
            }
            return false;
        }
        catch (Exception e) when (e is ClusterUnavailableException or KvTimeoutException)
        {
            history.Fail(process, OpKind.Cas, key, value, expected);
            return false;
        }
        catch (UnknownOutcomeException)
        {
            history.Info(process, OpKind.Cas, key, value, expected);
            return true;
        }
    }
}
