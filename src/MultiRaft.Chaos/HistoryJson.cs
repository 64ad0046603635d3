using System.Buffers;
using System.Text;
using System.Text.Json;

namespace MultiRaft.Chaos;

/// <summary>One event as one JSON object:
/// <c>{"process":P,"type":"invoke"|"ok"|"fail"|"info","f":"read"|"write"|"cas","key":K,"value":V,"time":NANOS}</c>.
/// V is a string or null; for a cas it is <c>[expected, new]</c>, each a string or null.</summary>
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
        if (e.F == OpKind.Cas)
        {
            json.WriteStartArray("value");
            WriteStringOrNull(json, e.Expected);
            WriteStringOrNull(json, e.Value);
            json.WriteEndArray();
        }
        else
        {
            json.WritePropertyName("value");
            WriteStringOrNull(json, e.Value);
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
            if (f == OpKind.Cas)
            {
                if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
                {
                    throw new FormatException("a cas \"value\" must be [expected, new]");
                }
                return HistoryEvent.Cas(processId, type, key, StringOrNull(value[0], "expected"), StringOrNull(value[1], "new"), time);
            }
            return new HistoryEvent(processId, type, f, key, StringOrNull(value, "value"), time);
        }
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
        _ => throw new FormatException($"unknown \"f\" \"{text}\" (read, write or cas)"),
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
