using MultiRaft.Raft;
using MultiRaft.Raft.Tracker;

namespace MultiRaft.Store.Peers;

/// <summary>
/// What PD needs from a leader besides the region itself: its load (keys and bytes read and written, as
/// running totals the reporter turns into rates) and the health of its followers, which the worker records
/// every few ticks so that other threads never read the Raft node's progress while it changes.
/// </summary>
internal sealed partial class Peer
{
    private long _writtenKeys;
    private long _writtenBytes;
    private long _readKeys;
    private long _readBytes;
    private long _reads;
    private int _ticksSinceHealth;
    private ulong _leaderSinceTick;
    private readonly byte[]?[] _samples = new byte[]?[SampleSlots];
    private long _sampled;

    /// <summary>Request keys kept between two region heartbeats, for PD's load-based split.</summary>
    public const int SampleSlots = 32;
    private volatile PeerHealth _health = PeerHealth.Unknown;

    public (long Keys, long Bytes) Written => (Interlocked.Read(ref _writtenKeys), Interlocked.Read(ref _writtenBytes));

    public (long Keys, long Bytes) Read => (Interlocked.Read(ref _readKeys), Interlocked.Read(ref _readBytes));

    /// <summary>Followers as the leader last saw them (empty on a follower).</summary>
    public PeerHealth Health => _health;

    public void RecordWrite(int keys, long bytes)
    {
        Interlocked.Add(ref _writtenKeys, keys);
        Interlocked.Add(ref _writtenBytes, bytes);
    }

    /// <summary>Offers a request key to the sample (reservoir sampling: every key seen since the last report
    /// is equally likely to be kept). Races between threads only change which keys are kept.</summary>
    public void SampleKey(byte[] key)
    {
        var seen = Interlocked.Increment(ref _sampled);
        var slot = seen <= SampleSlots ? seen - 1 : Random.Shared.NextInt64(seen);
        if (slot < SampleSlots)
        {
            Volatile.Write(ref _samples[slot], key);
        }
    }

    /// <summary>The keys sampled since the last call, and a fresh sample from now on.</summary>
    public byte[][] TakeSampledKeys()
    {
        var kept = new List<byte[]>(SampleSlots);
        for (var i = 0; i < SampleSlots; i++)
        {
            if (Interlocked.Exchange(ref _samples[i], null) is { } key)
            {
                kept.Add(key);
            }
        }
        Interlocked.Exchange(ref _sampled, 0);
        return [.. kept];
    }

    /// <summary>Counts one read request served here (of <paramref name="keys"/> keys, none for an empty scan).</summary>
    public void RecordRead(int keys, long bytes)
    {
        Interlocked.Increment(ref _reads);
        Interlocked.Add(ref _readKeys, keys);
        Interlocked.Add(ref _readBytes, bytes);
    }

    /// <summary>On the worker: refreshes <see cref="Health"/> every ten ticks while leading.</summary>
    private void UpdateHealth(int ticks)
    {
        _ticksSinceHealth += ticks;
        if (_ticksSinceHealth < 10)
        {
            return;
        }
        _ticksSinceHealth = 0;
        if (Node.Role != RaftRole.Leader)
        {
            _health = PeerHealth.Unknown;
            return;
        }
        var down = new List<ulong>();
        var pending = new List<ulong>();
        var caughtUp = new HashSet<ulong>();
        var last = Node.LastIndex;
        foreach (var (id, progress) in Node.Progress)
        {
            if (PeerHealth.IsCaughtUp(progress, last))
            {
                caughtUp.Add(id);
            }
            if (id == PeerId)
            {
                continue;
            }
            // RecentActive alone would do on a sample taken just before CheckQuorum resets it every election
            // timeout, and calls every follower down on one taken just after: down means silent for a while.
            var heardAt = Math.Max(progress.AckedTickStamp, _leaderSinceTick);
            if (!progress.RecentActive && Node.Ticks - heardAt > PeerHealth.DownAfterTicks)
            {
                down.Add(id);
            }
            else if (progress.State == Raft.Tracker.ProgressState.Snapshot || progress.Match + PeerHealth.PendingAfterEntries < last)
            {
                pending.Add(id);
            }
        }
        _health = new PeerHealth([.. down], [.. pending], last, caughtUp);
    }
}

/// <summary>A leader's view of its followers: down (no answer for <see cref="DownAfterTicks"/>), pending (far
/// behind, or being sent a snapshot), and which ones are caught up (see <see cref="IsCaughtUp"/>).</summary>
internal sealed record PeerHealth(ulong[] Down, ulong[] Pending, ulong LastIndex, IReadOnlySet<ulong> CaughtUp)
{
    /// <summary>Two default election timeouts: a follower that answers heartbeats is never this silent.</summary>
    public const ulong DownAfterTicks = 20;

    public const ulong PendingAfterEntries = 256;

    public static PeerHealth Unknown { get; } = new([], [], 0, new HashSet<ulong>());

    /// <summary>
    /// Whether a peer may be promoted or handed the leadership: the leader streams entries to it (it has
    /// acknowledged an append since its last snapshot or probe) and it is within <see cref="PendingAfterEntries"/>
    /// of the leader's log. Distance alone is not enough: a learner just added to a young region (a split starts
    /// its log at a low index) has matched nothing, yet sits within that distance of the leader's last index,
    /// and promoting it adds a voter that holds no data.
    /// </summary>
    public static bool IsCaughtUp(Progress progress, ulong lastIndex) =>
        progress.State == ProgressState.Replicate && progress.Match + PendingAfterEntries >= lastIndex;
}
