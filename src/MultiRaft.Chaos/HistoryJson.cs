using System.Buffers;
using System.Text;
using System.Text.Json;

namespace MultiRaft.Chaos;

/// <summary>One event as one JSON object:
/// <c>{"process":P,"type":"invoke"|"ok"|"fail"|"info","f":F,"key":K,"value":V,"time":NANOS}</c>.
/// For the register kinds (<c>read</c>, <c>write</c>, <c>cas</c>) V is a string or null; for a cas it is
/// <c>[expected, new]</c>, each a string or null. For the bank kinds: a <c>transfer</c>'s V is
/// <c>{"from":ACCOUNT,"to":ACCOUNT,"amount":N}</c>; an <c>init</c>'s is <c>{ACCOUNT:BALANCE,...}</c>; a
/// <c>balances</c> read's is that object in its <c>ok</c> (the accounts it found) and null otherwise.</summary>
public static class HistoryJson
{
    public static string Serialize(HistoryEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var buffer = new ArrayBufferWriter<byte>(128);
        Write(e, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the event's JSON object (no newline) to <paramref name="output"/>.</summary>
    public static void Write(HistoryEvent e, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(e);
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteNumber("process", e.Process);
        json.WriteString("type", Name(e.Type));
        json.WriteString("f", Name(e.F));
        json.WriteString("key", e.Key);
        json.WritePropertyName("value");
        switch (e.F)
        {
            case OpKind.Cas:
                json.WriteStartArray();
                WriteStringOrNull(json, e.Expected);
                WriteStringOrNull(json, e.Value);
                json.WriteEndArray();
                break;
            case OpKind.Transfer:
                var transfer = e.Transfer ?? throw new ArgumentException("a transfer event needs its Transfer", nameof(e));
                json.WriteStartObject();
                json.WriteString("from", transfer.From);
                json.WriteString("to", transfer.To);
                json.WriteNumber("amount", transfer.Amount);
                json.WriteEndObject();
                break;
            case OpKind.Init or OpKind.Balances:
                WriteBalances(json, e.F == OpKind.Init ? e.Balances ?? throw new ArgumentException("an init event needs its Balances", nameof(e)) : e.Balances);
                break;
            default:
                WriteStringOrNull(json, e.Value);
                break;
        }
        json.WriteNumber("time", e.Time);
        json.WriteEndObject();
    }

    /// <summary>Parses one line; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static HistoryEvent Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not JSON: {ex.Message}", ex);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"expected a JSON object, found {root.ValueKind}");
            }
            var process = Field(root, "process", JsonValueKind.Number);
            if (!process.TryGetInt64(out var processId))
            {
                throw new FormatException("\"process\" must be an integer");
            }
            var type = ParseType(Field(root, "type", JsonValueKind.String).GetString()!);
            var f = ParseKind(Field(root, "f", JsonValueKind.String).GetString()!);
            var key = Field(root, "key", JsonValueKind.String).GetString()!;
            var timeElement = Field(root, "time", JsonValueKind.Number);
            if (!timeElement.TryGetInt64(out var time))
            {
                throw new FormatException("\"time\" must be an integer (nanoseconds)");
            }
            if (!root.TryGetProperty("value", out var value))
            {
                throw new FormatException("missing \"value\" (use null when there is none)");
            }
            switch (f)
            {
                case OpKind.Cas:
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
                    {
                        throw new FormatException("a cas \"value\" must be [expected, new]");
                    }
                    return HistoryEvent.Cas(processId, type, key, StringOrNull(value[0], "expected"), StringOrNull(value[1], "new"), time);
                case OpKind.Transfer:
                    return new HistoryEvent(processId, type, f, key, null, time) { Transfer = ParseTransfer(value) };
                case OpKind.Init:
                    return new HistoryEvent(processId, type, f, key, null, time) { Balances = ParseBalances(value, "an init") };
                case OpKind.Balances:
                    if (type == EventType.Ok || value.ValueKind != JsonValueKind.Null)
                    {
                        return new HistoryEvent(processId, type, f, key, null, time) { Balances = ParseBalances(value, "a balances read's ok") };
                    }
                    return new HistoryEvent(processId, type, f, key, null, time);
                default:
                    return new HistoryEvent(processId, type, f, key, StringOrNull(value, "value"), time);
            }
        }
    }

    private static BankTransfer ParseTransfer(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a transfer \"value\" must be {\"from\":ACCOUNT,\"to\":ACCOUNT,\"amount\":N}");
        }
        var amount = Field(value, "amount", JsonValueKind.Number);
        return new BankTransfer(
            Field(value, "from", JsonValueKind.String).GetString()!,
            Field(value, "to", JsonValueKind.String).GetString()!,
            amount.TryGetInt64(out var n) ? n : throw new FormatException("a transfer's \"amount\" must be an integer"));
    }

    private static Dictionary<string, long> ParseBalances(JsonElement value, string what)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{what} \"value\" must be an object {{ACCOUNT: BALANCE, ...}}, found {value.ValueKind}");
        }
        var balances = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var account in value.EnumerateObject())
        {
            if (account.Value.ValueKind != JsonValueKind.Number || !account.Value.TryGetInt64(out var balance))
            {
                throw new FormatException($"the balance of account \"{account.Name}\" must be an integer");
            }
            if (!balances.TryAdd(account.Name, balance))
            {
                throw new FormatException($"account \"{account.Name}\" appears twice");
            }
        }
        return balances;
    }

    internal static string Name(EventType type) => type switch
    {
        EventType.Invoke => "invoke",
        EventType.Ok => "ok",
        EventType.Fail => "fail",
        EventType.Info => "info",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    internal static string Name(OpKind kind) => kind switch
    {
        OpKind.Read => "read",
        OpKind.Write => "write",
        OpKind.Cas => "cas",
        OpKind.Init => "init",
        OpKind.Transfer => "transfer",
        OpKind.Balances => "balances",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static EventType ParseType(string text) => text switch
    {
        "invoke" => EventType.Invoke,
        "ok" => EventType.Ok,
        "fail" => EventType.Fail,
        "info" => EventType.Info,
        _ => throw new FormatException($"unknown \"type\" \"{text}\" (invoke, ok, fail or info)"),
    };

    private static OpKind ParseKind(string text) => text switch
    {
        "read" => OpKind.Read,
        "write" => OpKind.Write,
        "cas" => OpKind.Cas,
        "init" => OpKind.Init,
        "transfer" => OpKind.Transfer,
        "balances" => OpKind.Balances,
        _ => throw new FormatException($"unknown \"f\" \"{text}\" (read, write, cas, init, transfer or balances)"),
    };

    private static JsonElement Field(JsonElement root, string name, JsonValueKind kind)
    {
        if (!root.TryGetProperty(name, out var element))
        {
            throw new FormatException($"missing \"{name}\"");
        }
        if (element.ValueKind != kind)
        {
            throw new FormatException($"\"{name}\" must be a {kind.ToString().ToUpperInvariant()}, found {element.ValueKind}");
        }
        return element;
    }

    private static string? StringOrNull(JsonElement element, string what) => element.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => element.GetString(),
        _ => throw new FormatException($"{what} must be a string or null, found {element.ValueKind}"),
    };

    /// <summary>The accounts in ordinal order, so equal balances always serialize alike.</summary>
    private static void WriteBalances(Utf8JsonWriter json, IReadOnlyDictionary<string, long>? balances)
    {
        if (balances is null)
        {
            json.WriteNullValue();
            return;
        }
        json.WriteStartObject();
        foreach (var (account, balance) in balances.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(account, balance);
        }
        json.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string? value)
    {
        if (value is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteStringValue(value);
        }
    }
}
