using System.Buffers.Binary;

namespace MultiRaft.Raft;

public enum ConfChangeType : byte
{
    AddVoter = 0,
    AddLearner = 1,
    RemoveNode = 2,
}

/// <summary>How a change is carried out.</summary>
public enum ConfChangeTransition : byte
{
    /// <summary>One voter change is applied directly; anything larger goes through a joint configuration
    /// that the leader leaves automatically once it is applied.</summary>
    Auto = 0,
    /// <summary>Always use a joint configuration, left automatically.</summary>
    JointAutoLeave = 1,
    /// <summary>Always use a joint configuration; the caller proposes the empty change that leaves it.</summary>
    JointExplicit = 2,
}

public readonly record struct ConfChangeSingle(ConfChangeType Type, ulong NodeId);

/// <summary>
/// A membership change proposal. An empty change list means "leave the joint configuration".
/// Encoded into an entry's data by <see cref="Encode"/>; the core never needs a serializer for it.
/// <see cref="Context"/> is opaque to the core and travels with the change: a host records there what the
/// node ids alone do not say (for a store: on which store the added peer lives).
/// </summary>
public sealed record ConfChange(ConfChangeTransition Transition, ConfChangeSingle[] Changes)
{
    public ConfChange(ConfChangeTransition transition, ConfChangeSingle[] changes, ReadOnlyMemory<byte> context)
        : this(transition, changes) => Context = context;

    public ReadOnlyMemory<byte> Context { get; init; }

    private const int HeaderBytes = 1 + 4;
    private const int ChangeBytes = 1 + 8;

    public static ConfChange LeaveJoint { get; } = new(ConfChangeTransition.Auto, []);

    public static ConfChange AddVoter(ulong id) => new(ConfChangeTransition.Auto, [new(ConfChangeType.AddVoter, id)]);

    public static ConfChange AddLearner(ulong id) => new(ConfChangeTransition.Auto, [new(ConfChangeType.AddLearner, id)]);

    public static ConfChange Remove(ulong id) => new(ConfChangeTransition.Auto, [new(ConfChangeType.RemoveNode, id)]);

    public bool IsLeaveJoint => Changes.Length == 0;

    /// <summary>Whether this change enters a joint configuration, and if so whether it leaves it by itself.</summary>
    public (bool UseJoint, bool AutoLeave) JointMode()
    {
        if (Transition != ConfChangeTransition.Auto || Changes.Length > 1)
        {
            return (true, Transition != ConfChangeTransition.JointExplicit);
        }
        return (false, false);
    }

    public byte[] Encode()
    {
        var contextBytes = Context.IsEmpty ? 0 : 4 + Context.Length;
        var buffer = new byte[HeaderBytes + ChangeBytes * Changes.Length + contextBytes];
        buffer[0] = (byte)Transition;
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(1), Changes.Length);
        var offset = HeaderBytes;
        foreach (var change in Changes)
        {
            buffer[offset] = (byte)change.Type;
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(offset + 1), change.NodeId);
            offset += ChangeBytes;
        }
        if (!Context.IsEmpty)
        {
            // Length-prefixed, so a decoder can still tell a well-formed change from trailing garbage.
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(offset), Context.Length);
            Context.Span.CopyTo(buffer.AsSpan(offset + 4));
        }
        return buffer;
    }

    /// <summary>Decodes a change; throws <see cref="FormatException"/> on malformed bytes.</summary>
    public static ConfChange Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderBytes || data[0] > (byte)ConfChangeTransition.JointExplicit)
        {
            throw new FormatException("malformed conf change header");
        }
        var count = BinaryPrimitives.ReadInt32LittleEndian(data[1..]);
        if (count < 0 || data.Length < HeaderBytes + (long)ChangeBytes * count)
        {
            throw new FormatException($"malformed conf change: {count} changes in {data.Length} bytes");
        }
        var changes = new ConfChangeSingle[count];
        var offset = HeaderBytes;
        for (var i = 0; i < count; i++)
        {
            var type = data[offset];
            if (type > (byte)ConfChangeType.RemoveNode)
            {
                throw new FormatException($"unknown conf change type {type}");
            }
            changes[i] = new ConfChangeSingle((ConfChangeType)type, BinaryPrimitives.ReadUInt64LittleEndian(data[(offset + 1)..]));
            offset += ChangeBytes;
        }
        var rest = data[offset..];
        if (rest.IsEmpty)
        {
            return new ConfChange((ConfChangeTransition)data[0], changes);
        }
        if (rest.Length < 4 || BinaryPrimitives.ReadInt32LittleEndian(rest) != rest.Length - 4 || rest.Length == 4)
        {
            throw new FormatException($"malformed conf change context: {rest.Length} trailing bytes");
        }
        return new ConfChange((ConfChangeTransition)data[0], changes, rest[4..].ToArray());
    }

    public bool Equals(ConfChange? other) =>
        other is not null && Transition == other.Transition && Changes.AsSpan().SequenceEqual(other.Changes);

    public override int GetHashCode() => HashCode.Combine(Transition, Changes.Length);

    public override string ToString() =>
        IsLeaveJoint ? "leave-joint" : $"{Transition}[{string.Join(' ', Changes.Select(c => $"{c.Type}({c.NodeId})"))}]";
}
