namespace MultiRaft.Cli.Chaos;

/// <summary>Which store may open connections to which: the proxies in front of the stores consult it. Clients
/// (source 0) and PD traffic are never cut, so a partition isolates stores from each other only.</summary>
internal sealed class NetworkRules
{
    private readonly Lock _lock = new();
    private HashSet<(ulong From, ulong To)> _blocked = [];

    public bool IsBlocked(ulong from, ulong to)
    {
        lock (_lock)
        {
            return from != 0 && _blocked.Contains((from, to));
        }
    }

    public bool IsHealed
    {
        get
        {
            lock (_lock)
            {
                return _blocked.Count == 0;
            }
        }
    }

    /// <summary>Cuts every link from a store of <paramref name="from"/> to a store of <paramref name="to"/>.</summary>
    public void Cut(IEnumerable<ulong> from, IEnumerable<ulong> to)
    {
        lock (_lock)
        {
            var next = new HashSet<(ulong, ulong)>(_blocked);
            foreach (var a in from)
            {
                foreach (var b in to)
                {
                    if (a != b)
                    {
                        next.Add((a, b));
                    }
                }
            }
            _blocked = next;
        }
    }

    public void Heal()
    {
        lock (_lock)
        {
            _blocked = [];
        }
    }
}
