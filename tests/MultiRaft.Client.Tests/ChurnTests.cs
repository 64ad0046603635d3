using System.Collections.Concurrent;
using MultiRaft.Protocol.Kv;
using static MultiRaft.Client.Tests.ClusterOps;

namespace MultiRaft.Client.Tests;

/// <summary>Reads and writes keep giving correct answers while regions split and leaders move under them.</summary>
public sealed class ChurnTests
{
    [Fact]
    public async Task Results_stay_correct_while_regions_split_and_leaders_move()
    {
        await using var cluster = await StartClusterAsync();
        await using var client = cluster.NewClient();
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        var operations = 0;

        // Each worker owns its keys, so it knows what every read must return.
        async Task WorkAsync(int worker)
        {
            var expected = new Dictionary<string, string>();
            var random = new Random(worker);
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                var key = $"{(char)('a' + random.Next(26))}{worker}-{random.Next(40):D2}";
                switch (round % 4)
                {
                    case 0:
                        await client.PutAsync(B(key), B($"{round}"));
                        expected[key] = $"{round}";
                        break;
                    case 1:
                        var batch = Enumerable.Range(0, 8).Select(i => $"{(char)('a' + (i * 3 + round) % 26)}{worker}-b{i}").ToList();
                        await client.BatchPutAsync([.. batch.Select(k => new KvEntry(B(k), B($"{round}")))]);
                        batch.ForEach(k => expected[k] = $"{round}");
                        break;
                    case 2:
                        var value = await client.GetAsync(B(key));
                        var want = expected.GetValueOrDefault(key);
                        if ((value is null ? null : S(value)) != want)
                        {
                            failures.Enqueue($"get {key}: {(value is null ? "absent" : S(value))}, expected {want ?? "absent"}");
                        }
                        break;
                    default:
                        var keys = expected.Keys.Take(30).ToList();
                        var found = await client.BatchGetAsync([.. keys.Select(B)]);
                        if (!found.Select(p => $"{S(p.Key)}={S(p.Value)}").SequenceEqual(keys.Select(k => $"{k}={expected[k]}")))
                        {
                            failures.Enqueue($"batch get of {keys.Count} keys disagreed");
                        }
                        break;
                }
                Interlocked.Increment(ref operations);
            }
            var mine = (await client.ScanAsync([], [], 100_000)).Where(p => S(p.Key)[1..].StartsWith($"{worker}-", StringComparison.Ordinal)).ToList();
            if (!mine.Select(p => $"{S(p.Key)}={S(p.Value)}").SequenceEqual(expected.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")))
            {
                failures.Enqueue($"worker {worker}: the final scan disagreed");
            }
        }

        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WorkAsync(w))).ToArray();
        await Task.Delay(200);
        await SplitAsync(cluster, B("a"), [B("f"), B("m"), B("s")]);
        await TransferLeaderAsync(cluster, B("b"));
        await TransferLeaderAsync(cluster, B("t"));
        await SplitAsync(cluster, B("g"), [B("h"), B("j")]);
        await TransferLeaderAsync(cluster, B("h"));
        await SplitAsync(cluster, B("t"), [B("w")]);
        await TransferLeaderAsync(cluster, B("x"));
        await Task.Delay(200);
        stop.Cancel();
        await Task.WhenAll(workers);

        Assert.Empty(failures);
        Assert.True(operations > 100, $"only {operations} operations ran");
    }
}
