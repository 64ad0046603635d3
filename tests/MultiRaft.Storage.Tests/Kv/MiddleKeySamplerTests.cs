using System.Buffers.Binary;
using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Tests.Kv;

public sealed class MiddleKeySamplerTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public void Finds_the_middle_of_equal_entries_within_a_few_percent(int count)
    {
        var sampler = new MiddleKeySampler();
        for (var i = 0; i < count; i++)
        {
            sampler.Add(Key(i), 100);
        }

        var middle = BinaryPrimitives.ReadInt32BigEndian(sampler.Middle());

        Assert.InRange(middle, 1, count - 1);
        Assert.InRange(Math.Abs(middle - (count / 2)), 0, Math.Max(1, count / 32));
    }

    [Fact]
    public void Follows_bytes_rather_than_key_count()
    {
        var sampler = new MiddleKeySampler();
        for (var i = 0; i < 10_000; i++)
        {
            // The first 1,000 entries hold as many bytes as the other 9,000.
            sampler.Add(Key(i), i < 1_000 ? 900 : 100);
        }

        var middle = BinaryPrimitives.ReadInt32BigEndian(sampler.Middle());

        Assert.InRange(middle, 900, 1_100);
    }

    private static byte[] Key(int i)
    {
        var key = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(key, i);
        return key;
    }
}
