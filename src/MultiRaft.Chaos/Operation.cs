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
/// cas the new value, for a read the value read (null: absent; for a read that did not end ok, null); null for
/// the bank kinds, which carry <see cref="Transfer"/> or <see cref="Balances"/>.
/// <see cref="CompleteTime"/> is null when the outcome is unknown: the operation may take effect at any time
/// after <see cref="InvokeTime"/>, or never. <see cref="Index"/> is the position of its invocation among the
/// history's events.</summary>
public sealed record Operation(int Index, long Process, OpKind F, string Key, string? Value, OpStatus Status, long InvokeTime, long? CompleteTime)
{
    /// <summary>For a cas: the value it compared against (null: absent).</summary>
    public string? Expected { get; init; }

    /// <summary>For a transfer: what it moves.</summary>
    public BankTransfer? Transfer { get; init; }

    /// <summary>For an init: the opening balances; for a balances read that ended ok: what it saw.</summary>
    public IReadOnlyDictionary<string, long>? Balances { get; init; }

    public override string ToString()
    {
        var what = F switch
        {
            OpKind.Read => $"read {Show(Value)}",
            OpKind.Write => $"write {Show(Value)}",
            OpKind.Cas => $"cas {Show(Expected)}->{Show(Value)}",
            OpKind.Transfer => $"transfer {Transfer?.Amount} {Transfer?.From}->{Transfer?.To}",
            _ => $"{HistoryJson.Name(F)} of {Balances?.Count ?? 0} accounts",
        };
        return $"p{Process} {what} {HistoryJson.Name(Status == OpStatus.Ok ? EventType.Ok : Status == OpStatus.Fail ? EventType.Fail : EventType.Info)}";
    }

    internal static string Show(string? value) => value is null ? "nil" : $"\"{value}\"";
}
