using System.Text.Json;
using System.Text.Json.Nodes;
using MultiRaft.PlacementDriver.Scheduling;

namespace MultiRaft.PlacementDriver.Http;

/// <summary>
/// Changes one setting of a scheduler, given as text (what <c>multiraft scheduler config NAME KEY VALUE</c>
/// sends): the key names a property of the config as the API shows it (lowerCamelCase), the value is JSON (a
/// number, <c>true</c>) or else plain text. The changed config must deserialize and pass the scheduler's own
/// validation; otherwise an ArgumentException says why and the scheduler keeps its config.
/// </summary>
internal static class SchedulerSettings
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Two changes at once would both start from the old config, and the first would be lost.
    private static readonly Lock Changing = new();

    public static void Change(Scheduler scheduler, string key, string value)
    {
        lock (Changing)
        {
            var config = JsonSerializer.SerializeToNode(scheduler.ConfigObject, scheduler.ConfigType, Json)!.AsObject();
            if (!config.TryGetPropertyValue(key, out var current))
            {
                throw new ArgumentException($"scheduler {scheduler.Name} has no setting '{key}'; it has: {string.Join(", ", config.Select(p => p.Key))}");
            }
            config[key] = Parse(value);
            object changed;
            try
            {
                changed = config.Deserialize(scheduler.ConfigType, Json)!;
            }
            catch (JsonException)
            {
                throw new ArgumentException($"'{value}' is not a valid value for {key} (now {current?.ToJsonString()})");
            }
            try
            {
                scheduler.Configure(changed);
            }
            catch (ArgumentException e)
            {
                // The validators' messages end with a line repeating the value; the first line says it all.
                throw new ArgumentException($"{scheduler.Name} refused {key} = {value}: {e.Message.Split('\n')[0]}");
            }
        }
    }

    private static JsonNode? Parse(string value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            return JsonValue.Create(value);
        }
    }
}
