namespace MultiRaft.Storage.Kv;

/// <summary>
/// Finds a split key that halves a range by bytes in one ordered pass with bounded memory. It keeps up to
/// <see cref="MaxSamples"/> keys spaced at least <c>stride</c> bytes apart, each with the bytes that precede it;
/// when the samples fill up, the stride doubles and samples closer than it to the previous kept one are dropped.
/// At the end the sample whose preceding bytes are closest to half the total is the split key, off from the true
/// middle by about two strides (a few percent of the total) plus one entry.
/// </summary>
internal sealed class MiddleKeySampler
{
    internal const int MaxSamples = 128;

    private readonly List<(byte[] Key, ulong BytesBefore)> _samples = new(MaxSamples);
    private ulong _stride = 1;
    private ulong _nextSampleAt;
    private ulong _total;

    /// <summary>Feeds the next key in ascending order and the bytes its entry occupies.</summary>
    public void Add(ReadOnlySpan<byte> key, int entryBytes)
    {
        if (_total >= _nextSampleAt)
        {
            _samples.Add((key.ToArray(), _total));
            _nextSampleAt = _total + _stride;
            if (_samples.Count == MaxSamples)
            {
                Thin();
            }
        }
        _total += (ulong)entryBytes;
    }

    /// <summary>
    /// The key that splits the fed keys into two halves of similar size, or null when fewer than two keys were fed.
    /// The first key is never chosen: splitting there would leave the left half empty.
    /// </summary>
    public byte[]? Middle()
    {
        var half = _total / 2;
        byte[]? best = null;
        var bestDistance = ulong.MaxValue;
        foreach (var (key, before) in _samples)
        {
            if (before == 0)
            {
                continue;
            }
            var distance = before > half ? before - half : half - before;
            if (distance < bestDistance)
            {
                best = key;
                bestDistance = distance;
            }
        }
        return best;
    }

    // Doubles the stride and keeps the samples at least a stride apart in bytes (not every other one: where
    // entries are large the samples are already sparse and must stay, or the middle of those entries is lost).
    private void Thin()
    {
        while (_samples.Count >= MaxSamples)
        {
            _stride *= 2;
            var kept = 1;
            for (var i = 1; i < _samples.Count; i++)
            {
                if (_samples[i].BytesBefore - _samples[kept - 1].BytesBefore >= _stride)
                {
                    _samples[kept++] = _samples[i];
                }
            }
            _samples.RemoveRange(kept, _samples.Count - kept);
        }
        _nextSampleAt = _samples[^1].BytesBefore + _stride;
    }
}
