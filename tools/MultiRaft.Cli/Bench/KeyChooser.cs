namespace MultiRaft.Cli.Bench;

/// <summary>Picks the number of the key an operation touches, in [0, count).</summary>
internal abstract class KeyChooser
{
    public abstract long Next(Random random);

    public static KeyChooser Create(KeyDistribution distribution, long count) => distribution switch
    {
        KeyDistribution.Uniform => new UniformChooser(count),
        KeyDistribution.Zipfian => new ZipfianChooser(count),
        _ => throw new ArgumentOutOfRangeException(nameof(distribution)),
    };

    private sealed class UniformChooser(long count) : KeyChooser
    {
        public override long Next(Random random) => random.NextInt64(count);
    }
}

/// <summary>
/// Zipfian ranks with YCSB's skew (θ = 0.99: a few keys take most requests), by the rejection-free method of
/// Gray et al., "Quickly Generating Billion-Record Synthetic Databases" (SIGMOD 1994): one pass computes the
/// generalized harmonic number ζ(n, θ) up front; each draw is then O(1). Rank 0 is the hottest; the key space
/// scrambles ranks, so hot keys are spread over regions.
/// </summary>
internal sealed class ZipfianChooser : KeyChooser
{
    public const double Theta = 0.99;
    public const long MaxCount = 200_000_000; // ζ takes one Math.Pow per key: about a second per 100 million.

    private readonly long _count;
    private readonly double _zetaN;
    private readonly double _alpha;
    private readonly double _eta;
    private readonly double _secondRankBound;

    public ZipfianChooser(long count)
    {
        if (count is < 2 or > MaxCount)
        {
            throw new ArgumentException($"a zipfian choice needs between 2 and {MaxCount:N0} keys, not {count}");
        }
        _count = count;
        _zetaN = Zeta(count);
        var zeta2 = Zeta(2);
        _alpha = 1 / (1 - Theta);
        _eta = (1 - Math.Pow(2.0 / count, 1 - Theta)) / (1 - (zeta2 / _zetaN));
        _secondRankBound = 1 + Math.Pow(0.5, Theta);
    }

    public override long Next(Random random)
    {
        var u = random.NextDouble();
        var uz = u * _zetaN;
        if (uz < 1)
        {
            return 0;
        }
        if (uz < _secondRankBound)
        {
            return 1;
        }
        var rank = (long)(_count * Math.Pow((_eta * u) - _eta + 1, _alpha));
        return Math.Min(rank, _count - 1);
    }

    private static double Zeta(long n)
    {
        var sum = 0.0;
        for (long i = 1; i <= n; i++)
        {
            sum += 1 / Math.Pow(i, Theta);
        }
        return sum;
    }
}
