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

/// <summary>The operations: on a register, read (get), write (put) and compare-and-swap; on the bank (accounts
/// under transactions), <see cref="Init"/> (open every account), <see cref="Transfer"/> (move money between two
/// accounts) and <see cref="Balances"/> (one snapshot of every account).</summary>
public enum OpKind
{
    Read,
    Write,
    Cas,
    Init,
    Transfer,
    Balances,
}

/// <summary>What a transfer moves: <see cref="Amount"/> from account <see cref="From"/> to account <see cref="To"/>,
/// only if <see cref="From"/> keeps a balance of at least 0 (else it changes nothing and ends <c>fail</c>).</summary>
public sealed record BankTransfer(string From, string To, long Amount);

/// <summary>One line of a history (see README, "Checking histories"). Keys and values are strings (UTF-8 text
/// in the file; a runner that stores binary values encodes them, e.g. as hex). <see cref="Value"/> is null for
/// an absent value: a read's invocation, a read that found nothing, a write that deletes. For a cas,
/// <see cref="Expected"/> and <see cref="Value"/> (the new value) are the JSON <c>[expected, new]</c>; for the
/// other kinds <see cref="Expected"/> is null. Bank operations have the key <see cref="BankKey"/>, no
/// <see cref="Value"/>, and carry <see cref="Transfer"/> or <see cref="Balances"/> instead.
/// <see cref="Time"/> is in nanoseconds from any fixed origin.</summary>
public sealed record HistoryEvent(long Process, EventType Type, OpKind F, string Key, string? Value, long Time)
{
    /// <summary>The key of every bank operation (they are about all accounts at once).</summary>
    public const string BankKey = "bank";

    /// <summary>For a cas: the value the register must hold for the swap to happen (null: absent).</summary>
    public string? Expected { get; init; }

    /// <summary>For a transfer (every event of it): what it moves.</summary>
    public BankTransfer? Transfer { get; init; }

    /// <summary>For an init (every event of it): each account's opening balance. For a balances read: what its
    /// <c>ok</c> saw, account by account (accounts it did not find are left out); null in its other events.</summary>
    public IReadOnlyDictionary<string, long>? Balances { get; init; }

    public static HistoryEvent Read(long process, EventType type, string key, string? value, long time) =>
        new(process, type, OpKind.Read, key, value, time);

    public static HistoryEvent Write(long process, EventType type, string key, string? value, long time) =>
        new(process, type, OpKind.Write, key, value, time);

    public static HistoryEvent Cas(long process, EventType type, string key, string? expected, string? value, long time) =>
        new(process, type, OpKind.Cas, key, value, time) { Expected = expected };

    public static HistoryEvent OfInit(long process, EventType type, IReadOnlyDictionary<string, long> balances, long time = 0) =>
        new(process, type, OpKind.Init, BankKey, null, time) { Balances = balances };

    public static HistoryEvent OfTransfer(long process, EventType type, BankTransfer transfer, long time = 0) =>
        new(process, type, OpKind.Transfer, BankKey, null, time) { Transfer = transfer };

    /// <param name="balances">What an <c>ok</c> read saw; null for its invocation and a read that failed.</param>
    public static HistoryEvent OfBalances(long process, EventType type, IReadOnlyDictionary<string, long>? balances, long time = 0) =>
        new(process, type, OpKind.Balances, BankKey, null, time) { Balances = balances };
}
