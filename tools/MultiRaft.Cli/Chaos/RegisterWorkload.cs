using System.Net;
using System.Text;
using MultiRaft.Chaos;
using MultiRaft.Client;

namespace MultiRaft.Cli.Chaos;

/// <summary>The register workload (the default): reads, writes and compare-and-swaps on a few hot keys, checked
/// for linearizability per key, plus unique writes checked for loss against a final scan.</summary>
internal sealed class RegisterWorkload(IPEndPoint pd, Random seedSource) : IChaosWorkload
{
    private const int RegisterKeys = 5;

    private readonly RawKvClient _client = new([pd], new RawKvClientOptions { Timeout = TimeSpan.FromSeconds(5), RpcTimeout = TimeSpan.FromSeconds(2) });

    public IReadOnlyList<string> PreSplitKeys => [];

    public string SplitKey(Random random) =>
        random.Next(2) == 0 ? RegisterClients.RegisterKey(random.Next(RegisterKeys)) : RegisterClients.SetPrefix + random.Next(100_000);

    public bool AimOpsAtKeys => false;

    public Task PrepareAsync(HistoryWriter history, CancellationToken cancellation) =>
        _client.PutAsync("chaos/ready"u8.ToArray(), "1"u8.ToArray(), cancellation);

    public Task RunAsync(HistoryWriter history, int workers, CancellationToken stop) =>
        new RegisterClients(_client, history, RegisterKeys, seedSource).RunAsync(workers, stop);

    public async Task<ChaosVerdict> CheckAsync(IReadOnlyList<Operation> operations, CancellationToken cancellation)
    {
        var present = await ReadSetAsync(cancellation).ConfigureAwait(false);
        // Every key is checked for linearizability (a set key, written once, trivially is); set keys also
        // for loss against the final read.
        var linearizability = LinearizabilityChecker.Check(operations);
        var lost = SetChecker.Check(operations.Where(o => o.Key.StartsWith(RegisterClients.SetPrefix, StringComparison.Ordinal)), present);
        var result = new CheckResult(linearizability, lost);
        return new ChaosVerdict(result.IsValid, result.Summary, result.Describe());
    }

    /// <summary>After healing, every key the set workload wrote that is present (the scan retries until the
    /// cluster answers).</summary>
    private async Task<List<string>> ReadSetAsync(CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var pairs = await _client.ScanAsync(Encoding.UTF8.GetBytes(RegisterClients.SetPrefix), "set0"u8.ToArray(), 10_000_000, cancellation).ConfigureAwait(false);
                return [.. pairs.Select(p => Encoding.UTF8.GetString(p.Key))];
            }
            catch (Exception e) when (attempt < 12 && e is ClusterUnavailableException or KvTimeoutException)
            {
                Console.WriteLine($"final read: {e.Message}; retrying");
            }
        }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
