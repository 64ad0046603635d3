namespace MultiRaft.Raft;

/// <summary>What an entry's payload is: an application command or a membership change.</summary>
public enum EntryType : byte
{
    Normal = 0,
    ConfChange = 1,
}

/// <summary>
/// One Raft log entry. A value type so that logs and messages are arrays of structs rather than graphs of
/// objects; the payload is the caller's buffer, never copied by the core.
/// </summary>
public readonly record struct Entry(ulong Term, ulong Index, EntryType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>Fixed per-entry overhead counted in size limits, so that empty entries are not free.</summary>
    public const int HeaderBytes = 24;

    public Entry(ulong term, ulong index, ReadOnlyMemory<byte> data)
        : this(term, index, EntryType.Normal, data)
    {
    }

    public long SizeBytes => HeaderBytes + Data.Length;
}
