using MultiRaft.Raft;

namespace MultiRaft.Simulation;

/// <summary>FNV-1a digests of entries and of log prefixes (a hash chain), so logs can be compared in O(1).</summary>
internal static class Digest
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Of(in Entry entry)
    {
        var hash = Mix(Offset, entry.Term);
        hash = Mix(hash, (ulong)entry.Type);
        foreach (var b in entry.Data.Span)
        {
            hash = (hash ^ b) * Prime;
        }
        return hash;
    }

    /// <summary>The digest of a log prefix ending in <paramref name="entry"/>, given the digest before it.</summary>
    public static ulong Chain(ulong previous, in Entry entry) => Mix(Mix(previous, entry.Index), Of(entry));

    private static ulong Mix(ulong hash, ulong value)
    {
        for (var i = 0; i < 8; i++)
        {
            hash = (hash ^ (byte)(value >> (8 * i))) * Prime;
        }
        return hash;
    }
}
