namespace MultiRaft.Client;

/// <summary>Exponential backoff with full jitter: each wait is random in [0, ceiling), the ceiling doubling
/// from the minimum to the maximum, so retrying clients spread out instead of arriving together.</summary>
internal sealed class Backoff(TimeSpan min, TimeSpan max)
{
    private readonly TimeSpan _max = max;
    private TimeSpan _ceiling = min;

    /// <summary>A backoff that goes on from this one's current ceiling, for part of a batch retried on its own.</summary>
    public Backoff Fork() => new(_ceiling, _max);

    public async Task WaitAsync(CancellationToken cancellation)
    {
        var wait = TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * _ceiling.Ticks));
        _ceiling = TimeSpan.FromTicks(Math.Min(_max.Ticks, _ceiling.Ticks * 2));
        await Task.Delay(wait, cancellation).ConfigureAwait(false);
    }
}
