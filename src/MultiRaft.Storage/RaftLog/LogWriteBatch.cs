using MultiRaft.Raft;

namespace MultiRaft.Storage.RaftLog;

/// <summary>
/// Entries, hard states and snapshot points of many regions, written together by
/// <see cref="RaftLogEngine.Write"/> and made durable together by one <see cref="RaftLogEngine.Sync"/>.
/// Reusable: <see cref="Clear"/> keeps its buffers.
/// </summary>
public sealed class LogWriteBatch
{
    internal List<(ulong Region, Entry[] Entries)> Entries { get; } = [];

    internal List<(ulong Region, HardState State)> HardStates { get; } = [];

    internal List<(ulong Region, SnapshotMetadata Snapshot)> Snapshots { get; } = [];

    public bool IsEmpty => Entries.Count == 0 && HardStates.Count == 0 && Snapshots.Count == 0;

    /// <summary>Appends entries of <paramref name="region"/>; they replace its log from their first index on.</summary>
    public void AddEntries(ulong region, ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty)
        {
            return;
        }
        for (var i = 1; i < entries.Length; i++)
        {
            if (entries[i].Index != entries[i - 1].Index + 1)
            {
                throw new ArgumentException($"region {region}: entries must be consecutive ({entries[i - 1].Index} then {entries[i].Index})", nameof(entries));
            }
        }
        Entries.Add((region, entries.ToArray()));
    }

    public void SetHardState(ulong region, HardState state) => HardStates.Add((region, state));

    /// <summary>The region installed a snapshot: its log restarts after <paramref name="snapshot"/>'s index.
    /// Written before the batch's entries of the same region.</summary>
    public void ApplySnapshot(ulong region, SnapshotMetadata snapshot) => Snapshots.Add((region, snapshot));

    public void Clear()
    {
        Entries.Clear();
        HardStates.Clear();
        Snapshots.Clear();
    }
}
