using System.Numerics;

namespace MultiRaft.Cli.Bench;

/// <summary>
/// Maps key numbers to fixed-size keys spread over the key space: <c>u</c> followed by hex digits of the
/// number multiplied by an odd constant modulo 16^digits. The multiplication is a bijection, so distinct numbers
/// give distinct keys, and neighbouring numbers (the hottest zipfian ranks, the load phase's sequence) land far
/// apart — as hashed YCSB keys do — instead of all in one region.
/// </summary>
internal sealed class KeySpace
{
    private const ulong Scramble = 0x9E3779B97F4A7C15; // Odd: invertible modulo any power of two.
    private readonly int _keySize;
    private readonly int _digits;
    private readonly ulong _mask;

    public KeySpace(int keySize)
    {
        if (keySize is < 4 or > 1024)
        {
            throw new ArgumentException($"--key-size must be between 4 and 1024 bytes, not {keySize}");
        }
        _keySize = keySize;
        _digits = Math.Min(keySize - 1, 15);
        _mask = (1UL << (4 * _digits)) - 1;
    }

    /// <summary>How many distinct keys this size can name.</summary>
    public ulong Capacity => _mask + 1;

    public byte[] Key(long number)
    {
        var key = new byte[_keySize];
        key.AsSpan().Fill((byte)'0');
        key[0] = (byte)'u';
        var scrambled = unchecked((ulong)number * Scramble) & _mask;
        for (var i = _keySize - 1; i >= _keySize - _digits; i--)
        {
            key[i] = (byte)"0123456789abcdef"[(int)(scrambled & 0xF)];
            scrambled >>= 4;
        }
        return key;
    }

    /// <summary>Digits needed to write <paramref name="count"/> distinct numbers in hex (for messages).</summary>
    public static int HexDigitsFor(ulong count) => count <= 1 ? 1 : (64 - BitOperations.LeadingZeroCount(count - 1) + 3) / 4;
}
