using MultiRaft.Storage.Kv;
using MultiRaft.Storage.Txn;
using static MultiRaft.Storage.Tests.Kv.TempEngine;
using static MultiRaft.Storage.Tests.Txn.TxnEngine;

namespace MultiRaft.Storage.Tests.Txn;

/// <summary>
/// Where values live: a Put of at most <see cref="TxnRecordCodec.MaxShortValueBytes"/> bytes inside its lock and
/// write record, a longer one in the data column family at its start ts.
/// </summary>
public sealed class ShortValueTests
{
    private static readonly string Longest = new('s', TxnRecordCodec.MaxShortValueBytes);

    [Fact]
    public void A_short_value_lives_in_the_lock_then_in_the_write_record_and_never_in_the_data_column()
    {
        using var txn = new TxnEngine();

        Assert.Empty(txn.Prewrite(10, "k", Put("k", Longest)));
        Assert.Empty(txn.Dump(KvColumn.Data));
        Assert.Contains(Hex(Longest), Assert.Single(txn.Dump(KvColumn.Lock)));

        Assert.Empty(txn.Commit(10, 20, "k"));
        Assert.Empty(txn.Dump(KvColumn.Data));
        Assert.Contains(Hex(Longest), Assert.Single(txn.Dump(KvColumn.Write)));
        Assert.Equal(Longest, txn.Get("k", 20));
        Assert.Equal(Longest, Text(Assert.Single(txn.Reader.Scan([], [], 10, 20).Pairs).Value));
    }

    [Fact]
    public void A_value_one_byte_longer_goes_to_the_data_column_at_the_start_ts()
    {
        using var txn = new TxnEngine();
        var value = Long("v");

        txn.Write(10, 20, Put("k", value));

        var data = Assert.Single(txn.Dump(KvColumn.Data));
        Assert.StartsWith(Convert.ToHexString(TxnKeys.Versioned(TxnKeys.Encode(Bytes("k")), 10)) + "=", data);
        Assert.DoesNotContain(Hex(value), Assert.Single(txn.Dump(KvColumn.Write)));
        Assert.Equal(value, txn.Get("k", 20));
    }

    [Fact]
    public void An_empty_value_is_a_short_value_not_a_missing_one()
    {
        using var txn = new TxnEngine();

        txn.Write(10, 20, Put("k", ""));

        Assert.Empty(txn.Dump(KvColumn.Data));
        Assert.Equal("", txn.Get("k", 20));
    }

    [Fact]
    public void One_transaction_mixes_short_and_long_values_deletes_and_locks()
    {
        using var txn = new TxnEngine();
        txn.Write(5, 6, Put("d", "gone soon"));

        txn.Write(10, 20, Put("s", "short"), Put("l", Long("long")), Delete("d"), LockOnly("x"));

        Assert.Single(txn.Dump(KvColumn.Data)); // l's value only
        var read = txn.Reader.Scan([], [], 10, 20);
        Assert.Equal([("l", Long("long")), ("s", "short")], read.Pairs.Select(p => (Text(p.Key), Text(p.Value))));
        Assert.Equal("gone soon", txn.Get("d", 19));
        var batch = txn.Reader.BatchGet([Bytes("s"), Bytes("l")], 20);
        Assert.Equal(["short", Long("long")], batch.Pairs.Select(p => Text(p.Value)));
    }

    [Fact]
    public void Rollback_of_a_short_value_touches_no_data_key_and_of_a_long_one_deletes_it()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "s", Put("s", "short"), Put("l", Long("long"))));

        Assert.Empty(txn.Rollback(10, "s"));
        Assert.Equal(2, txn.LastStaged); // the lock deleted, the rollback record put
        Assert.Empty(txn.Rollback(10, "l"));
        Assert.Equal(3, txn.LastStaged); // and the value deleted

        Assert.Empty(txn.Dump(KvColumn.Lock));
        Assert.Empty(txn.Dump(KvColumn.Data));
        Assert.Null(txn.Get("s", 100));
        Assert.Null(txn.Get("l", 100));
    }

    [Fact]
    public void An_expired_short_lock_is_rolled_back_by_check_txn_status()
    {
        using var txn = new TxnEngine();
        var startTs = TxnTimestamp.Compose(1_000, 0);
        Assert.Empty(txn.PrewriteWithTtl(startTs, "p", 10, Put("p", "short")));

        var status = txn.CheckTxnStatus("p", startTs, TxnTimestamp.Compose(1_010, 0));

        Assert.Equal(TxnStatusKind.RolledBack, status.Kind);
        Assert.Empty(txn.Dump(KvColumn.Lock));
        Assert.Null(txn.Get("p", startTs + 1));
    }

    [Fact]
    public void Gc_deletes_data_keys_only_for_long_values()
    {
        using var txn = new TxnEngine();
        txn.Write(10, 20, Put("l", Long("l1")), Put("s", "s1"));
        txn.Write(30, 40, Put("l", Long("l2")), Put("s", "s2"));

        Assert.Equal(2, txn.Gc("", "", safePoint: 50).VersionsDeleted);

        var data = Assert.Single(txn.Dump(KvColumn.Data)); // l's value at 30
        Assert.StartsWith(Convert.ToHexString(TxnKeys.Versioned(TxnKeys.Encode(Bytes("l")), 30)) + "=", data);
        Assert.Equal(2, txn.Dump(KvColumn.Write).Count);
        Assert.Equal(Long("l2"), txn.Get("l", 50));
        Assert.Equal("s2", txn.Get("s", 50));
    }

    [Fact]
    public void Resolving_and_retrying_carry_the_short_value_into_the_write_record()
    {
        using var txn = new TxnEngine();
        Assert.Empty(txn.Prewrite(10, "a", Put("a", "1"), Put("b", Long("2"))));

        Assert.Equal(2, txn.ResolveLock("", "", 10, 20));
        Assert.Empty(txn.Prewrite(10, "a", Put("a", "1"), Put("b", Long("2"))));
        Assert.Equal(0, txn.LastStaged);
        Assert.Empty(txn.Commit(10, 20, "a", "b"));
        Assert.Equal(0, txn.LastStaged);

        Assert.Single(txn.Dump(KvColumn.Data));
        Assert.Equal("1", txn.Get("a", 20));
        Assert.Equal(Long("2"), txn.Get("b", 20));
    }

    [Fact]
    public void A_put_record_without_a_short_value_still_reads_its_value_from_the_data_column()
    {
        using var txn = new TxnEngine();
        var txnKey = TxnKeys.Encode(Bytes("k"));
        using (var batch = txn.Engine.NewWriteBatch())
        {
            batch.PutTxnValue(txnKey, 10, Bytes("old layout"));
            batch.PutWrite(txnKey, 20, TxnWriteKind.Put, 10, shortValue: null);
            txn.Engine.Write(batch, sync: false);
        }

        Assert.Equal("old layout", txn.Get("k", 20));
    }

    [Fact]
    public void Records_round_trip_with_and_without_a_short_value()
    {
        var withValue = new TxnLock(Bytes("k"), Bytes("p"), 10, 3_000, MutationKind.Put) { ShortValue = Bytes("v") };
        var withoutValue = new TxnLock(Bytes("k"), Bytes("p"), 10, 3_000, MutationKind.Delete);

        Assert.Equal("v", Text(TxnRecordCodec.DecodeLock(Bytes("k"), TxnRecordCodec.EncodeLock(withValue)).ShortValue));
        Assert.Null(TxnRecordCodec.DecodeLock(Bytes("k"), TxnRecordCodec.EncodeLock(withoutValue)).ShortValue);
        Assert.Equal("v", Text(DecodeWrite(TxnWriteKind.Put, Bytes("v")).ShortValue));
        Assert.Empty(DecodeWrite(TxnWriteKind.Put, []).ShortValue!);
        Assert.Null(DecodeWrite(TxnWriteKind.Put, null).ShortValue);
    }

    [Theory]
    [InlineData("020A760178")] // a Delete carrying a value
    [InlineData("010A770178")] // an unknown tag
    [InlineData("010A7602")] // a value cut short
    [InlineData("010A76017878")] // a trailing byte
    [InlineData("010A768002")] // a value over 255 bytes
    public void Malformed_short_values_are_corruption(string hex)
    {
        Assert.Throws<StorageException>(() => TxnRecordCodec.DecodeWrite(20, Convert.FromHexString(hex)));
    }

    private static TxnWrite DecodeWrite(TxnWriteKind kind, byte[]? shortValue)
    {
        var buffer = new byte[TxnRecordCodec.MaxWriteBytes];
        var length = TxnRecordCodec.EncodeWrite(kind, 10, shortValue, buffer);
        return TxnRecordCodec.DecodeWrite(20, buffer.AsSpan(0, length));
    }

    private static string Hex(string text) => Convert.ToHexString(Bytes(text));
}
