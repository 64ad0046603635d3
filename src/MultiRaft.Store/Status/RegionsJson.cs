using System.Buffers;
using System.Text.Json;
using MultiRaft.Storage.Kv;
using MultiRaft.Store.Peers;

namespace MultiRaft.Store.Status;

/// <summary>The <c>/regions</c> page: every region this store hosts, by region id, as a JSON array.</summary>
internal static class RegionsJson
{
    public const string ContentType = "application/json; charset=utf-8";

    public static byte[] Render(IEnumerable<Peer> peers)
    {
        var sorted = new List<Peer>();
        foreach (var peer in peers)
        {
            if (!peer.IsDestroyed)
            {
                sorted.Add(peer);
            }
        }
        sorted.Sort(static (a, b) => a.RegionId.CompareTo(b.RegionId));
        var output = new ArrayBufferWriter<byte>(256 + (sorted.Count * 256));
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var peer in sorted)
            {
                Write(json, peer);
            }
            json.WriteEndArray();
        }
        return output.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter json, Peer peer)
    {
        var region = peer.Region;
        json.WriteStartObject();
        json.WriteNumber("id", region.RegionId);
        json.WriteString("startKey", Convert.ToHexStringLower(region.StartKey));
        json.WriteString("endKey", Convert.ToHexStringLower(region.EndKey));
        json.WriteStartObject("epoch");
        json.WriteNumber("confVersion", region.Epoch.ConfVersion);
        json.WriteNumber("version", region.Epoch.Version);
        json.WriteEndObject();
        json.WriteStartArray("peers");
        foreach (var member in region.Peers)
        {
            json.WriteStartObject();
            json.WriteNumber("id", member.Id);
            json.WriteNumber("storeId", member.StoreId);
            json.WriteString("role", member.Role == PeerRole.Learner ? "learner" : "voter");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNumber("peerId", peer.PeerId);
        if (peer.Leader is { } leader)
        {
            json.WriteNumber("leader", leader.Id);
        }
        else
        {
            json.WriteNull("leader");
        }
        json.WriteBoolean("isLeader", peer.IsLeader);
        json.WriteNumber("appliedIndex", peer.AppliedIndex);
        json.WriteNumber("term", peer.Term);
        json.WriteEndObject();
    }
}
