using MultiRaft.Storage.Txn;
using Xunit.Abstractions;

namespace MultiRaft.Storage.Tests.Txn;

public sealed class MemComparableTests(ITestOutputHelper output)
{
    [Fact]
    public void Encodes_groups_of_eight_bytes_each_followed_by_a_marker()
    {
        Assert.Equal("0000000000000000F7", Convert.ToHexString(MemComparable.Encode([])));
        Assert.Equal("6162630000000000FA", Convert.ToHexString(MemComparable.Encode("abc"u8)));
        Assert.Equal("3132333435363738FF0000000000000000F7", Convert.ToHexString(MemComparable.Encode("12345678"u8)));
        Assert.Equal("3132333435363738FF3900000000000000F8", Convert.ToHexString(MemComparable.Encode("123456789"u8)));
        Assert.Equal(MemComparable.EncodedLength(9), MemComparable.Encode("123456789"u8).Length);
    }

    [Fact]
    public void Preserves_order_is_prefix_free_and_round_trips_over_random_keys()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        // Few distinct bytes, among them the zero pad and the 0xFF marker, so that keys share long prefixes and
        // differ where the escaping matters most.
        byte[] alphabet = [0x00, 0x01, 0xF7, 0xFE, 0xFF];
        var keys = new List<byte[]>();
        for (var i = 0; i < 400; i++)
        {
            var key = new byte[random.Next(0, 20)];
            for (var j = 0; j < key.Length; j++)
            {
                key[j] = alphabet[random.Next(alphabet.Length)];
            }
            keys.Add(key);
        }
        var encoded = keys.ConvertAll(key => MemComparable.Encode(key));

        for (var i = 0; i < keys.Count; i++)
        {
            Assert.Equal(keys[i], MemComparable.Decode(encoded[i]));
            for (var j = 0; j < keys.Count; j++)
            {
                var expected = Math.Sign(keys[i].AsSpan().SequenceCompareTo(keys[j]));
                Assert.True(
                    expected == Math.Sign(encoded[i].AsSpan().SequenceCompareTo(encoded[j])),
                    $"seed {seed}: {Convert.ToHexString(keys[i])} vs {Convert.ToHexString(keys[j])}");
                if (expected != 0)
                {
                    Assert.False(encoded[j].AsSpan().StartsWith(encoded[i]), $"seed {seed}: an encoding is a prefix of another");
                }
            }
        }
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("616263000000FA", "not whole groups")]
    [InlineData("6162630000000000F6", "last marker below 0xF7")]
    [InlineData("3132333435363738FF", "ends after a full group")]
    [InlineData("6162630000000000FA6162630000000000FA", "a short group that is not the last")]
    [InlineData("6162630000000001FA", "non-zero padding")]
    public void Decode_rejects_malformed_bytes_as_corruption(string hex, string why)
    {
        var error = Assert.Throws<StorageException>(() => MemComparable.Decode(Convert.FromHexString(hex)));
        output.WriteLine($"{why}: {error.Message}");
        Assert.Contains("memcomparable", error.Message, StringComparison.Ordinal);
    }
}
