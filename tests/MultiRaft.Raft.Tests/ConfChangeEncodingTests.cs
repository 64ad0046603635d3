namespace MultiRaft.Raft.Tests;

/// <summary>The wire form of a membership change, as stored in a ConfChange entry.</summary>
public class ConfChangeEncodingTests
{
    public static TheoryData<ConfChange> Changes() =>
    [
        ConfChange.AddVoter(4),
        ConfChange.AddLearner(5),
        ConfChange.Remove(1),
        ConfChange.LeaveJoint,
        new ConfChange(ConfChangeTransition.JointAutoLeave, [new(ConfChangeType.AddVoter, 4)]),
        new ConfChange(ConfChangeTransition.JointExplicit, [new(ConfChangeType.AddVoter, 4), new(ConfChangeType.RemoveNode, 3), new(ConfChangeType.AddLearner, 3)]),
        new ConfChange(ConfChangeTransition.Auto, [new(ConfChangeType.AddVoter, ulong.MaxValue), new(ConfChangeType.RemoveNode, 0x0102030405060708)]),
        new ConfChange(ConfChangeTransition.JointExplicit, []),
    ];

    [Theory]
    [MemberData(nameof(Changes))]
    public void Decoding_an_encoded_change_gives_back_the_same_change(ConfChange change)
    {
        var bytes = change.Encode();

        var decoded = ConfChange.Decode(bytes);

        Assert.Equal(change, decoded);
        Assert.Equal(change.Transition, decoded.Transition);
        Assert.Equal(change.Changes, decoded.Changes);
        Assert.Equal(change.IsLeaveJoint, decoded.IsLeaveJoint);
        Assert.Equal(change.JointMode(), decoded.JointMode());
        Assert.Equal(5 + (9 * change.Changes.Length), bytes.Length);
    }

    [Fact]
    public void The_encoding_is_transition_then_little_endian_count_then_type_and_little_endian_id_per_change()
    {
        var bytes = new ConfChange(ConfChangeTransition.JointExplicit, [new(ConfChangeType.RemoveNode, 0x0102030405060708)]).Encode();

        Assert.Equal(new byte[] { 2, 1, 0, 0, 0, 2, 8, 7, 6, 5, 4, 3, 2, 1 }, bytes);
    }

    public static TheoryData<byte[]> Malformed() =>
    [
        [],
        [0, 0, 0, 0],
        [3, 0, 0, 0, 0],
        [0xFF, 0, 0, 0, 0],
        [0, 0xFF, 0xFF, 0xFF, 0xFF],
        [0, 1, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7],
        [0, 0, 0, 0, 0, 9],
        [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0xFF, 0xFF, 0xFF, 0x7F, 0, 1, 0, 0, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0],
        [1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xFE, 1, 0, 0, 0, 0, 0, 0, 0],
    ];

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_bytes_are_rejected_with_FormatException(byte[] bytes)
    {
        Assert.Throws<FormatException>(() => ConfChange.Decode(bytes));
    }

    [Fact]
    public void Truncating_a_valid_encoding_anywhere_is_rejected_with_FormatException()
    {
        var bytes = new ConfChange(ConfChangeTransition.Auto, [new(ConfChangeType.AddVoter, 4), new(ConfChangeType.AddLearner, 5)]).Encode();

        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            Assert.Throws<FormatException>(() => ConfChange.Decode(prefix));
        }
    }

    [Fact]
    public void A_context_travels_with_the_change_and_a_damaged_one_is_rejected()
    {
        var change = new ConfChange(ConfChangeTransition.Auto, [new(ConfChangeType.AddLearner, 7)], new byte[] { 1, 2, 3 });
        var bytes = change.Encode();

        var decoded = ConfChange.Decode(bytes);
        Assert.Equal(change, decoded);
        Assert.Equal([1, 2, 3], decoded.Context.ToArray());
        Assert.Throws<FormatException>(() => ConfChange.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => ConfChange.Decode([.. bytes, 9]));
    }
}
