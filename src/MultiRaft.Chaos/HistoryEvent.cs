namespace MultiRaft.Chaos;

/// <summary>What an event says about its operation: <see cref="Invoke"/> starts it; <see cref="Ok"/> (it took
/// effect), <see cref="Fail"/> (it certainly did not) or <see cref="Info"/> (unknown: it may take effect at any
/// time after its invocation, or never) ends it.</summary>
public enum EventType
{
    Invoke,
    Ok,
    Fail,
    Info,
}

/// <summary>The operations on a register: read (get), write (put) and compare-and-swap.</summary>
public enum OpKind
{
    Read,
    Write,
    Cas,
}

/// <summary>One line of a history (see README, "Checking histories"). Keys and values are strings (UTF-8 text
/// in the file; a runner that stores binary values encodes them, e.g. as hex). <see cref="Value"/> is null for
/// an absent value: a read's invocation, a read that found nothing, a write that deletes. For a cas,
/// <see cref="Expected"/> and <see cref="Value"/> (the new value) are the JSON <c>[expected, new]</c>; for the
/// other kinds <see cref="Expected"/> is null. <see cref="Time"/> is in nanoseconds from any fixed origin.</summary>
public sealed record HistoryEvent(long Process, EventType Type, OpKind F, string Key, string? Value, long Time)
{
    /// <summary>For a cas: the value the register must hold for the swap to happen (null: absent).</summary>
    public string? Expected { get; init; }

    public static HistoryEvent Read(long process, EventType type, string key, string? value, long time) =>
        new(process, type, OpKind.Read, key, value, time);

    public static HistoryEvent Write(long process, EventType type, string key, string? value, long time) =>
        new(process, type, OpKind.Write, key, value, time);

    public static HistoryEvent Cas(long process, EventType type, string key, string? expected, string? value, long time) =>
        new(process, type, OpKind.Cas, key, value, time) { Expected = expected };
}
