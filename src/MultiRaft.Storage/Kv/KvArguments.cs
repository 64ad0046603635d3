namespace MultiRaft.Storage.Kv;

/// <summary>
/// Checks of caller input against the engine's limits. Every public operation checks its input before touching
/// anything, so a rejected call changes nothing.
/// </summary>
internal static class KvArguments
{
    public static void CheckKey(ReadOnlySpan<byte> key, KvEngineOptions options, string paramName)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("key is empty", paramName);
        }
        CheckKeyLength(key, options, paramName);
    }

    public static void CheckValue(ReadOnlySpan<byte> value, KvEngineOptions options, string paramName)
    {
        if (value.Length > options.MaxValueBytes)
        {
            throw new ArgumentException(
                $"value of {value.Length} bytes exceeds the limit of {options.MaxValueBytes}", paramName);
        }
    }

    /// <summary>A range [start, end): an empty start is -infinity, an empty end +infinity; start must be below end.</summary>
    public static void CheckRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, KvEngineOptions options, string paramName)
    {
        CheckKeyLength(start, options, paramName);
        CheckKeyLength(end, options, paramName);
        if (!end.IsEmpty && start.SequenceCompareTo(end) >= 0)
        {
            throw new ArgumentException("range start must be below its end (an empty end means +infinity)", paramName);
        }
    }

    public static void CheckRegionState(RegionLocalState state, KvEngineOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(state, paramName);
        CheckRange(state.StartKey, state.EndKey, options, paramName);
        for (var i = 0; i < state.Peers.Count; i++)
        {
            var peer = state.Peers[i];
            if (!Enum.IsDefined(peer.Role))
            {
                throw new ArgumentException($"peer {peer.Id} has unknown role {peer.Role}", paramName);
            }
            for (var j = 0; j < i; j++)
            {
                if (state.Peers[j].Id == peer.Id)
                {
                    throw new ArgumentException($"peer {peer.Id} is listed twice", paramName);
                }
            }
        }
    }

    private static void CheckKeyLength(ReadOnlySpan<byte> key, KvEngineOptions options, string paramName)
    {
        if (key.Length > options.MaxKeyBytes)
        {
            throw new ArgumentException($"key of {key.Length} bytes exceeds the limit of {options.MaxKeyBytes}", paramName);
        }
    }
}
