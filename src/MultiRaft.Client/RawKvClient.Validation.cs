namespace MultiRaft.Client;

/// <summary>Arguments are checked against the stores' limits (<see cref="RawKvClientOptions"/>) before
/// anything is sent, so a bad one fails at once with the limit it broke.</summary>
public sealed partial class RawKvClient
{
    internal byte[] CheckKey(byte[] key, string what = "a key")
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw new KvInvalidArgumentException($"{what} must not be empty");
        }
        if (key.Length > _options.MaxKeyBytes)
        {
            throw new KvInvalidArgumentException($"{what} of {key.Length} bytes is over the {_options.MaxKeyBytes}-byte limit (MaxKeyBytes)");
        }
        return key;
    }

    internal void CheckValue(byte[]? value, string what = "a value")
    {
        if (value is not null && value.Length > _options.MaxValueBytes)
        {
            throw new KvInvalidArgumentException($"{what} of {value.Length} bytes is over the {_options.MaxValueBytes}-byte limit (MaxValueBytes)");
        }
    }

    /// <summary>An end key may be empty (the end of the key space); otherwise it is a key after the start.</summary>
    internal void CheckRange(byte[] start, byte[] end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        if (start.Length > 0)
        {
            CheckKey(start, "a start key");
        }
        if (end.Length == 0)
        {
            return;
        }
        CheckKey(end, "an end key");
        if (end.AsSpan().SequenceCompareTo(start) <= 0)
        {
            throw new KvInvalidArgumentException("the end key must be after the start key");
        }
    }

    private static string Describe(byte[] key) => key.Length == 0 ? "(end)" : Convert.ToHexString(key, 0, Math.Min(key.Length, 32));
}
