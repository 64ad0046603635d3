namespace MultiRaft.Client;

public sealed partial class RawKvClient
{
    /// <summary>The region cache, for tests that check how errors correct it.</summary>
    internal RegionCache Cache => _cache;
}
