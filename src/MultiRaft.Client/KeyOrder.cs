namespace MultiRaft.Client;

/// <summary>The store's key order: unsigned bytes, lexicographic.</summary>
internal sealed class KeyOrder : IComparer<byte[]>
{
    public static readonly KeyOrder Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
