namespace MultiRaft.Chaos;

/// <summary>How an operation ended.</summary>
public enum OpStatus
{
    Ok,
    Fail,
    /// <summary>Unknown (an <c>info</c> completion, or no completion at all).</summary>
    Info,
}

/// <summary>An invocation paired with its completion. <see cref="Value"/>: for a write the value written, for a
/// cas the new value, for a read the value read (null: absent; for a read that did not end ok, null).
/// <see cref="CompleteTime"/> is null when the outcome is unknown: the operation may take effect at any time
/// after <see cref="InvokeTime"/>, or never. <see cref="Index"/> is the position of its invocation among the
/// history's events.</summary>
public sealed record Operation(int Index, long Process, OpKind F, string Key, string? Value, OpStatus Status, long InvokeTime, long? CompleteTime)
{
    /// <summary>For a cas: the value it compared against (null: absent).</summary>
    public string? Expected { get; init; }

    public override string ToString()
    {
        var what = F switch
        {
            OpKind.Read => $"read {Show(Value)}",
            OpKind.Write => $"write {Show(Value)}",
            _ => $"cas {Show(Expected)}->{Show(Value)}",
        };
        return $"p{Process} {what} {HistoryJson.Name(Status == OpStatus.Ok ? EventType.Ok : Status == OpStatus.Fail ? EventType.Fail : EventType.Info)}";
    }

    internal static string Show(string? value) => value is null ? "nil" : $"\"{value}\"";
}
