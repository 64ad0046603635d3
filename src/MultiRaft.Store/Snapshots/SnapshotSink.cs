using Microsoft.Extensions.Logging;
using MultiRaft.Protocol;
using MultiRaft.Raft;
using MultiRaft.Store.Peers;
using MultiRaft.Store.Status;
using MultiRaft.Transport.Snapshots;

namespace MultiRaft.Store.Snapshots;

/// <summary>
/// Receives snapshots streamed by other stores into files; a complete, checksum-verified one is handed to its
/// peer's Raft node as the InstallSnapshot message it travelled with (its data: the file's ticket). Raft may
/// still turn it down as stale; the file is deleted either way once the worker is done with it.
/// </summary>
internal sealed class SnapshotSink(ulong storeId, SnapshotFiles files, Func<ulong, Peer?> findPeer, ILogger logger, StoreMetrics metrics) : ISnapshotSink
{
    private readonly Dictionary<Stream, string> _paths = [];

    public Stream? BeginReceive(RaftEnvelope header, out string? refuseReason)
    {
        refuseReason = header.ToStore != storeId ? $"this is store {storeId}, not {header.ToStore}"
            : findPeer(header.RegionId) is not { } peer ? $"region {header.RegionId} has no peer on store {storeId}"
            : header.Message.To != peer.PeerId ? $"peer {header.Message.To} is not on store {storeId}"
            : null;
        if (refuseReason is not null)
        {
            return null;
        }
        var path = files.NewPath("recv", header.RegionId);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        lock (_paths)
        {
            _paths[stream] = path;
        }
        return stream;
    }

    public async Task<string?> CompleteAsync(RaftEnvelope header, Stream received, CancellationToken cancellation)
    {
        var path = Take(received);
        await received.FlushAsync(cancellation).ConfigureAwait(false);
        await received.DisposeAsync().ConfigureAwait(false);
        if (findPeer(header.RegionId) is not { } peer)
        {
            SnapshotFiles.Delete(path);
            return $"region {header.RegionId} left store {storeId} while its snapshot arrived";
        }
        var message = header.Message;
        metrics.SnapshotReceived();
        logger.LogInformation("region {Region}: received snapshot at {Index} from store {Store}", header.RegionId, message.Snapshot!.Metadata.Index, header.FromStore);
        peer.Post(new PeerInput(PeerInputKind.RaftMessage, new Message
        {
            Type = message.Type,
            To = message.To,
            From = message.From,
            Term = message.Term,
            Snapshot = message.Snapshot with { Data = SnapshotFiles.Ticket(path) },
        }));
        return null;
    }

    public void Abort(RaftEnvelope header, Stream received)
    {
        var path = Take(received);
        received.Dispose();
        SnapshotFiles.Delete(path);
    }

    private string Take(Stream received)
    {
        lock (_paths)
        {
            _paths.Remove(received, out var path);
            return path!;
        }
    }
}
