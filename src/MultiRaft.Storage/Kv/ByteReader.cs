namespace MultiRaft.Storage.Kv;

/// <summary>
/// Reads the hand-written binary encodings of the KV engine (meta records, snapshot chunks) from a span. Every
/// read checks the remaining length, so malformed or truncated bytes end in an <see cref="InvalidDataException"/>
/// naming the field, never in an out-of-range read or a huge allocation.
/// </summary>
internal ref struct ByteReader(ReadOnlySpan<byte> bytes, string what)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;
    private readonly string _what = what;
    private int _position;

    public readonly int Remaining => _bytes.Length - _position;

    public byte ReadByte(string field)
    {
        if (Remaining < 1)
        {
            throw Malformed($"ends before {field}");
        }
        return _bytes[_position++];
    }

    /// <summary>An unsigned LEB128 varint of at most 10 bytes that fits in 64 bits, in its shortest form.</summary>
    public ulong ReadVarUInt64(string field)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte(field);
            if (shift == 63 && b > 1)
            {
                throw Malformed($"{field} overflows 64 bits");
            }
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                if (b == 0 && shift > 0)
                {
                    throw Malformed($"{field} is not in its shortest form");
                }
                return value;
            }
        }
        throw Malformed($"{field} overflows 64 bits");
    }

    /// <summary>A length that must not exceed <paramref name="max"/> nor the bytes left.</summary>
    public int ReadLength(string field, int max)
    {
        var length = ReadVarUInt64(field);
        if (length > (ulong)max)
        {
            throw Malformed($"{field} {length} exceeds the limit of {max}");
        }
        if (length > (ulong)Remaining)
        {
            throw Malformed($"{field} {length} runs past the end ({Remaining} bytes left)");
        }
        return (int)length;
    }

    public ReadOnlySpan<byte> ReadBytes(int count, string field)
    {
        if (count > Remaining)
        {
            throw Malformed($"ends inside {field}");
        }
        var slice = _bytes.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>Bytes prefixed by their varint length.</summary>
    public ReadOnlySpan<byte> ReadLengthPrefixed(string field, int max) => ReadBytes(ReadLength(field, max), field);

    public readonly void ExpectEnd()
    {
        if (Remaining != 0)
        {
            throw Malformed($"has {Remaining} unexpected trailing bytes");
        }
    }

    public readonly InvalidDataException Malformed(string problem) => new($"malformed {_what}: {problem}");
}
