using Wire = MultiRaft.Protocol.Txn;
using Mvcc = MultiRaft.Storage.Txn;

namespace MultiRaft.Store.Tests;

/// <summary>The store casts between the wire enums and the MVCC engine's: they must agree name for name.</summary>
public sealed class TxnConversionsTests
{
    [Fact]
    public void Wire_and_engine_enums_share_their_numbering()
    {
        AssertSame<Wire.TxnMutationKind, Mvcc.MutationKind>();
        AssertSame<Wire.KeyErrorKind, Mvcc.TxnErrorKind>();
        AssertSame<Wire.TxnStatusKind, Mvcc.TxnStatusKind>();
    }

    private static void AssertSame<TWire, TEngine>()
        where TWire : struct, Enum
        where TEngine : struct, Enum
    {
        var wire = Enum.GetValues<TWire>().Select(v => (v.ToString(), Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)));
        var engine = Enum.GetValues<TEngine>().Select(v => (v.ToString(), Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(engine, wire);
    }
}
