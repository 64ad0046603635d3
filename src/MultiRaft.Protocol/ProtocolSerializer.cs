using System.Buffers;
using MessagePack;
using MessagePack.Resolvers;

namespace MultiRaft.Protocol;

/// <summary>The one MessagePack configuration for everything that crosses a process boundary: our own
/// formatters first, then the standard ones, with the untrusted-data security settings (bounded depth,
/// hash-collision resistant maps), because every byte may come from a hostile peer.</summary>
public static class ProtocolSerializer
{
    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create([RaftMessageFormatter.Instance], [StandardResolver.Instance]))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    public static void Serialize<T>(IBufferWriter<byte> writer, T value) => MessagePackSerializer.Serialize(writer, value, Options);

    public static byte[] Serialize<T>(T value) => MessagePackSerializer.Serialize(value, Options);

    /// <summary>Deserializes <paramref name="payload"/>; malformed input throws <see cref="MessagePackSerializationException"/>.</summary>
    public static T Deserialize<T>(in ReadOnlySequence<byte> payload) => MessagePackSerializer.Deserialize<T>(payload, Options);
}
