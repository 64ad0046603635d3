using MultiRaft.Transport.Rpc;

namespace MultiRaft.Client;

public sealed partial class RawKvClient
{
    /// <summary>The region cache, for tests that check how errors correct it.</summary>
    internal RegionCache Cache => _cache;

    /// <summary>PD, for the transaction client's timestamps and safe points.</summary>
    internal PdClient Pd => _pd;

    internal RawKvClientOptions Options => _options;
}
