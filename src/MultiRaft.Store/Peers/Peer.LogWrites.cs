namespace MultiRaft.Store.Peers;

internal sealed partial class Peer
{
    private readonly Lock _persistedGate = new();
    private (ulong Index, ulong Term)? _persisted;

    /// <summary>The log writer made this peer's log durable through entry (<paramref name="index"/>,
    /// <paramref name="term"/>). Only the latest report is kept: writes complete in order, so it covers the
    /// earlier ones. The peer's Raft worker hands it to the node on its next round.</summary>
    public void OnLogPersisted(ulong index, ulong term)
    {
        lock (_persistedGate)
        {
            _persisted = (index, term);
        }
        TrySchedule();
    }

    /// <summary>Whether a durability report waits for the next round (checked when a worker lets go of the peer:
    /// the writer could not queue it while the worker held it).</summary>
    private bool HasPersistedReport
    {
        get
        {
            lock (_persistedGate)
            {
                return _persisted is not null;
            }
        }
    }

    /// <summary>Reports the log writer's latest durability report to the node (Raft worker only).</summary>
    public void ReportPersisted()
    {
        (ulong Index, ulong Term)? persisted;
        lock (_persistedGate)
        {
            persisted = _persisted;
            _persisted = null;
        }
        if (persisted is var (index, term))
        {
            Node.PersistedTo(index, term);
        }
    }
}
