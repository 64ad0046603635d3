using System.Text;
using MultiRaft.Storage.Kv;

namespace MultiRaft.Storage.Tests.Kv;

/// <summary>A KV engine in a fresh temporary directory, deleted on dispose; can be closed and reopened.</summary>
internal sealed class TempEngine : IDisposable
{
    private readonly KvEngineOptions? _options;

    public TempEngine(KvEngineOptions? options = null)
    {
        _options = options;
        Directory = Path.Combine(Path.GetTempPath(), "multiraft-kv-" + Guid.NewGuid().ToString("N"));
        Engine = KvEngine.Open(Directory, options);
    }

    public string Directory { get; }

    public KvEngine Engine { get; private set; }

    public void Reopen()
    {
        Engine.Dispose();
        Engine = KvEngine.Open(Directory, _options);
    }

    public void Dispose()
    {
        Engine.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(byte[]? bytes) => bytes is null ? "<null>" : Encoding.UTF8.GetString(bytes);

    /// <summary>Keys "k0000".."k{n-1}" with values of the given size, and the region's apply state, in one batch.</summary>
    public void Fill(int count, int valueBytes = 16, ulong regionId = 1, ulong appliedIndex = 1, string prefix = "k")
    {
        using var batch = Engine.NewWriteBatch();
        for (var i = 0; i < count; i++)
        {
            var value = new byte[valueBytes];
            new Random(i).NextBytes(value);
            batch.Put(Bytes($"{prefix}{i:D4}"), value);
        }
        batch.SetApplyState(regionId, new ApplyState(appliedIndex, 1));
        Engine.Write(batch, sync: false);
    }

    public static RegionLocalState Region(ulong id, string start, string end) => new()
    {
        RegionId = id,
        StartKey = Bytes(start),
        EndKey = Bytes(end),
        Epoch = new RegionEpoch(2, 3),
        Peers = [new RegionPeer(11, 1, PeerRole.Voter), new RegionPeer(12, 2, PeerRole.Voter), new RegionPeer(13, 3, PeerRole.Learner)],
    };
}
