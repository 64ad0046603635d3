namespace MultiRaft.Storage.Txn;

/// <summary>
/// The memcomparable encoding of a byte string: an escaping whose encodings compare byte-wise exactly as the
/// originals do, and no encoding is a prefix of another. Transactional keys need both properties because a
/// timestamp follows the user key: without escaping, "a" + ts could sort after "a\x00" + ts.
/// <code>
/// the key in groups of 8 bytes, the last one padded with zeros; each group followed by a marker 0xFF - pads
/// "abc"      -> 'a' 'b' 'c' 0 0 0 0 0 0xFA
/// 8 bytes    -> the 8 bytes 0xFF, then 0 0 0 0 0 0 0 0 0xF7 (a full group is never the last)
/// </code>
/// Order: two keys first differ either in a group both fill (the bytes decide) or where one ends (its zero pad
/// meets the other's byte, or its smaller marker meets a 0xFF marker): the shorter key sorts first either way.
/// Prefix-free: the last group is the only one with a marker below 0xFF, so an encoding ends exactly there.
/// </summary>
public static class MemComparable
{
    private const int GroupBytes = 8;
    private const int EncodedGroupBytes = GroupBytes + 1;
    private const byte FullGroupMarker = 0xFF;

    /// <summary>The length of the encoding of a key of <paramref name="keyLength"/> bytes.</summary>
    public static int EncodedLength(int keyLength) => ((keyLength / GroupBytes) + 1) * EncodedGroupBytes;

    public static byte[] Encode(ReadOnlySpan<byte> key)
    {
        var encoded = new byte[EncodedLength(key.Length)];
        Encode(key, encoded);
        return encoded;
    }

    /// <summary>Writes the encoding of <paramref name="key"/> into <paramref name="destination"/>; returns its length.</summary>
    public static int Encode(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        var written = 0;
        while (true)
        {
            var take = Math.Min(key.Length, GroupBytes);
            key[..take].CopyTo(destination[written..]);
            destination.Slice(written + take, GroupBytes - take).Clear();
            destination[written + GroupBytes] = (byte)(FullGroupMarker - (GroupBytes - take));
            written += EncodedGroupBytes;
            if (take < GroupBytes)
            {
                return written;
            }
            key = key[GroupBytes..];
        }
    }

    /// <summary>The key whose encoding is exactly <paramref name="encoded"/>.</summary>
    /// <exception cref="StorageException">The bytes are not one whole encoding (stored keys are corrupt).</exception>
    public static byte[] Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty || encoded.Length % EncodedGroupBytes != 0)
        {
            throw Malformed($"{encoded.Length} bytes are not whole groups of {EncodedGroupBytes}");
        }
        var groups = encoded.Length / EncodedGroupBytes;
        var pads = FullGroupMarker - encoded[^1];
        if (pads is < 1 or > GroupBytes)
        {
            throw Malformed($"the last group has marker 0x{encoded[^1]:x2}");
        }
        var key = new byte[(groups * GroupBytes) - pads];
        for (var group = 0; group < groups; group++)
        {
            var offset = group * EncodedGroupBytes;
            var bytes = encoded.Slice(offset, GroupBytes);
            if (group < groups - 1)
            {
                if (encoded[offset + GroupBytes] != FullGroupMarker)
                {
                    throw Malformed($"group {group} has marker 0x{encoded[offset + GroupBytes]:x2} but is not the last");
                }
                bytes.CopyTo(key.AsSpan(group * GroupBytes));
                continue;
            }
            if (bytes[(GroupBytes - pads)..].ContainsAnyExcept((byte)0))
            {
                throw Malformed("the padding of the last group is not zero");
            }
            bytes[..(GroupBytes - pads)].CopyTo(key.AsSpan(group * GroupBytes));
        }
        return key;
    }

    private static StorageException Malformed(string problem) => new($"malformed memcomparable key: {problem}");
}
