using System.Buffers.Binary;
using System.Collections.Concurrent;
using MultiRaft.Client.Txn;
using static MultiRaft.Client.Tests.ClusterOps;
using static MultiRaft.Client.Tests.Txn.TxnClusterTests;

namespace MultiRaft.Client.Tests.Txn;

/// <summary>Money moves between accounts spread over many regions while regions split and leaders move;
/// every snapshot read of all balances must add up to the money there was at the start.</summary>
public sealed class TxnChurnTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Accounts = 24;
    private const long StartingBalance = 100;

    [Fact]
    public async Task Transfers_keep_the_total_while_regions_split_and_leaders_move()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        await using var cluster = await StartClusterAsync();
        await using var client = NewTxnClient(cluster);
        await using (var setup = await client.BeginAsync())
        {
            for (var i = 0; i < Accounts; i++)
            {
                setup.Put(Account(i), Balance(StartingBalance));
            }
            await setup.CommitAsync();
        }
        using var stop = new CancellationTokenSource();
        var anomalies = new ConcurrentQueue<string>();
        var (committed, conflicts, audits) = (0, 0, 0);

        async Task TransferAsync(int worker)
        {
            var random = new Random(seed + worker);
            while (!stop.IsCancellationRequested)
            {
                var (from, to) = (random.Next(Accounts), random.Next(Accounts));
                if (from == to)
                {
                    continue;
                }
                try
                {
                    await using var txn = await client.BeginAsync();
                    var balances = await txn.BatchGetAsync([Account(from), Account(to)]);
                    var amount = random.Next(1, 20);
                    txn.Put(Account(from), Balance(Read(balances[0].Value) - amount));
                    txn.Put(Account(to), Balance(Read(balances[1].Value) + amount));
                    await txn.CommitAsync();
                    Interlocked.Increment(ref committed);
                }
                catch (TxnConflictException)
                {
                    Interlocked.Increment(ref conflicts);
                }
            }
        }

        async Task AuditAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                await using var txn = await client.BeginAsync();
                var all = await txn.ScanAsync(B("acct"), B("acct~"), 1000);
                var total = all.Sum(p => Read(p.Value));
                if (all.Count != Accounts || total != Accounts * StartingBalance)
                {
                    anomalies.Enqueue($"snapshot at {txn.StartTs}: {all.Count} accounts holding {total}");
                }
                Interlocked.Increment(ref audits);
            }
        }

        var work = Enumerable.Range(0, 4).Select(TransferAsync).Append(AuditAsync()).ToList();
        await Task.Delay(1500);
        await SplitAsync(cluster, Account(0), [Account(8), Account(16)]);
        await Task.Delay(1000);
        await TransferLeaderAsync(cluster, Account(12));
        await Task.Delay(1000);
        await TransferLeaderAsync(cluster, Account(20));
        await Task.Delay(1500);
        await stop.CancelAsync();
        await Task.WhenAll(work);

        output.WriteLine($"committed {committed}, conflicts {conflicts}, audits {audits}");
        Assert.Empty(anomalies);
        Assert.True(committed > 10, $"only {committed} transfers committed");
        Assert.True(audits > 3, $"only {audits} audits ran");
    }

    private static byte[] Account(int i) => B($"acct{i:D3}");

    private static byte[] Balance(long amount)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, amount);
        return bytes;
    }

    private static long Read(byte[] value) => BinaryPrimitives.ReadInt64BigEndian(value);
}
