using System.Buffers;
using MultiRaft.Protocol;
using MultiRaft.Transport.Framing;

namespace MultiRaft.Transport.Connections;

/// <summary>The connecting side of the handshake: introduce ourselves, then check who answered.</summary>
public static class ClientHandshake
{
    /// <summary>Sends our handshake and waits for the acceptance; throws <see cref="TransportException"/> if
    /// the peer refuses, or is not <paramref name="expectedStore"/> of our cluster (any store when null).
    /// With <see cref="TransportOptions.DiscoverCluster"/> as our cluster id, any cluster is accepted: the
    /// returned handshake names it.</summary>
    public static async Task<Handshake> PerformAsync(FrameChannel channel, TransportOptions options, ulong? expectedStore, CancellationToken cancellation)
    {
        channel.Write(FrameKind.Handshake, ProtocolSerializer.Serialize(new Handshake(Handshake.CurrentVersion, options.ClusterId, options.StoreId)));
        await channel.FlushAsync(cancellation).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(options.HandshakeTimeout);
        (FrameKind Kind, byte[] Payload)? reply;
        try
        {
            reply = await channel.ReadOneAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new TransportException($"no answer to the handshake within {options.HandshakeTimeout.TotalSeconds:0.#} s");
        }
        if (timeout.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new TransportException($"no answer to the handshake within {options.HandshakeTimeout.TotalSeconds:0.#} s");
        }
        if (reply is not { Kind: FrameKind.HandshakeAccepted } accepted)
        {
            throw new TransportException($"the peer refused the handshake (expected store {expectedStore?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "any"})");
        }
        var peer = ProtocolSerializer.Deserialize<Handshake>(new ReadOnlySequence<byte>(accepted.Payload));
        var clusterMatches = peer.ClusterId == options.ClusterId || options.ClusterId == TransportOptions.DiscoverCluster;
        if (!clusterMatches || (expectedStore is { } store && peer.StoreId != store))
        {
            throw new TransportException($"expected store {expectedStore} of cluster {options.ClusterId}, reached store {peer.StoreId} of cluster {peer.ClusterId}");
        }
        return peer;
    }
}
