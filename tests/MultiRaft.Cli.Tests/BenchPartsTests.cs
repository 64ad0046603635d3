using MultiRaft.Cli.Bench;

namespace MultiRaft.Cli.Tests;

/// <summary>The benchmark's parts that decide what load it generates: keys, key choice, mixes, durations.</summary>
public sealed class BenchPartsTests
{
    [Fact]
    public void Keys_are_distinct_fixed_size_and_spread_over_the_key_space()
    {
        var space = new KeySpace(16);
        var keys = Enumerable.Range(0, 20_000).Select(i => space.Key(i)).ToList();

        Assert.All(keys, k => Assert.Equal(16, k.Length));
        Assert.All(keys, k => Assert.Equal((byte)'u', k[0]));
        Assert.Equal(keys.Count, keys.Select(Convert.ToHexString).Distinct().Count());
        // Neighbouring numbers land far apart: the first 16 keys fall into many of 16 equal slices.
        Assert.True(keys.Take(16).Select(k => k[1]).Distinct().Count() >= 8);
        Assert.Equal(4096UL, new KeySpace(4).Capacity);
        Assert.Equal(Enumerable.Range(0, 4096).Count(), Enumerable.Range(0, 4096).Select(i => Convert.ToHexString(new KeySpace(4).Key(i))).Distinct().Count());
        Assert.Throws<ArgumentException>(() => new KeySpace(3));
    }

    [Fact]
    public void Zipfian_choice_favours_low_ranks_with_ycsb_skew()
    {
        const int count = 1000;
        var chooser = KeyChooser.Create(KeyDistribution.Zipfian, count);
        var random = new Random(42);
        var hits = new int[count];
        const int draws = 200_000;
        for (var i = 0; i < draws; i++)
        {
            hits[chooser.Next(random)]++;
        }

        // P(rank r) = 1 / (r+1)^θ / ζ(n, θ); ζ(1000, 0.99) ≈ 7.3, so rank 0 takes about 13.6%.
        var zeta = Enumerable.Range(1, count).Sum(i => 1 / Math.Pow(i, ZipfianChooser.Theta));
        Assert.InRange(hits[0] / (double)draws, 0.9 / zeta, 1.1 / zeta);
        Assert.InRange(hits[1] / (double)hits[0], 0.45, 0.55); // 1/2^0.99
        Assert.True(hits[..10].Sum() > hits[500..].Sum());
        Assert.Throws<ArgumentException>(() => KeyChooser.Create(KeyDistribution.Zipfian, 1));
    }

    [Fact]
    public void Uniform_choice_covers_every_key()
    {
        var chooser = KeyChooser.Create(KeyDistribution.Uniform, 50);
        var random = new Random(1);
        Assert.Equal(50, Enumerable.Range(0, 5_000).Select(_ => chooser.Next(random)).Distinct().Count());
    }

    [Fact]
    public void Workload_mixes_follow_their_shares()
    {
        var b = BenchWorkload.Parse("ycsb-b");
        var random = new Random(3);
        var reads = Enumerable.Range(0, 100_000).Count(_ => b.Next(random) == BenchOperation.Read);
        Assert.InRange(reads, 94_000, 96_000);
        Assert.True(b.ReadsExistingKeys);
        Assert.False(BenchWorkload.Parse("write").ReadsExistingKeys);
        Assert.Equal([BenchOperation.Insert], BenchWorkload.Parse("load").Operations);
        Assert.Equal([BenchOperation.Read, BenchOperation.ReadModifyWrite], BenchWorkload.Parse("ycsb-f").Operations);
        Assert.Contains("ycsb-a", Assert.Throws<ArgumentException>(() => BenchWorkload.Parse("ycsb-z")).Message, StringComparison.Ordinal);
        var txn = BenchWorkload.Parse("txn");
        Assert.True(txn.Transactional && txn.ReadsExistingKeys);
        Assert.Equal([BenchOperation.Transfer], txn.Operations);
        Assert.Equal([BenchOperation.Commit], txn.Phases);
        Assert.False(b.Transactional);
        Assert.Empty(b.Phases);
    }

    [Fact]
    public void A_phase_is_reported_on_its_own_but_not_counted_as_an_operation()
    {
        var metrics = new BenchMetrics([BenchOperation.Transfer], [BenchOperation.Commit]);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < 3; i++)
        {
            metrics.Record(BenchOperation.Commit, started);
            metrics.Record(BenchOperation.Transfer, started);
        }
        metrics.Fail(BenchOperation.Transfer, BenchMetrics.ConflictKind);

        Assert.Equal(3, metrics.TakeSecond(1, 1).OpsPerSec);
        var result = metrics.Result(new BenchSettings { Workload = BenchWorkload.Parse("txn") }, 1);
        Assert.Equal(3, result.OpsPerSec);
        Assert.Equal(3, result.PerOperation["commit"].Ops);
        Assert.Equal(3, result.PerOperation["transfer"].Ops);
        Assert.Equal(1, result.Errors);
        Assert.Equal(0.25, result.ConflictRate);
        Assert.Null(metrics.Result(new BenchSettings { Workload = BenchWorkload.Parse("write") }, 1).ConflictRate);
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("45", 45_000)]
    public void Durations_read_as_typed(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), DurationText.Parse(text, "--duration"));

    [Theory]
    [InlineData("soon")]
    [InlineData("5y")]
    [InlineData("-3s")]
    [InlineData("")]
    public void Bad_durations_are_refused_with_the_option_named(string text) =>
        Assert.Contains("--duration", Assert.Throws<ArgumentException>(() => DurationText.Parse(text, "--duration")).Message, StringComparison.Ordinal);

    [Fact]
    public async Task The_rate_limiter_never_exceeds_its_rate_nor_bursts_after_a_pause()
    {
        using var limiter = new RateLimiter(2_000);
        await Task.Delay(500); // Unused permits carry over for 100 ms at most: about 200, not 1,000.
        var taken = 0;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using (var window = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            try
            {
                while (true)
                {
                    await limiter.WaitAsync(window.Token);
                    taken++;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        // At most the 200 carried over plus 2,000/s over the window (one 10 ms slice of slack); on a loaded
        // machine timers run late and hand out fewer, never more.
        Assert.InRange(taken, 1, 200 + (int)(2_000 * (seconds + 0.01)));
    }
}
