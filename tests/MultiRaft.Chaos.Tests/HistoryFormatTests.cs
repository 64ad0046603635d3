using MultiRaft.Chaos;

namespace MultiRaft.Chaos.Tests;

public sealed class HistoryFormatTests
{
    [Fact]
    public void Events_round_trip_through_the_writer_and_reader()
    {
        using var stream = new MemoryStream();
        using (var writer = new HistoryWriter(stream, leaveOpen: true))
        {
            writer.Invoke(1, OpKind.Write, "k", "v1");
            writer.Ok(1, OpKind.Write, "k", "v1");
            writer.Invoke(2, OpKind.Read, "k", null);
            writer.Ok(2, OpKind.Read, "k", null);
            writer.Invoke(3, OpKind.Cas, "ключ \"q\"", "v1", expected: null);
            writer.Info(3, OpKind.Cas, "ключ \"q\"", "v1", expected: null);
            writer.Invoke(4, OpKind.Cas, "k", "v2", expected: "v1");
            writer.Fail(4, OpKind.Cas, "k", "v2", expected: "v1");
            Assert.Equal(8, writer.Count);
        }
        stream.Position = 0;
        var text = new StreamReader(stream).ReadToEnd();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length);
        Assert.Matches("""^\{"process":1,"type":"invoke","f":"write","key":"k","value":"v1","time":\d+\}$""", lines[0]);
        Assert.Matches("""^\{"process":4,"type":"invoke","f":"cas","key":"k","value":\["v1","v2"\],"time":\d+\}$""", lines[6]);
        var events = HistoryReader.Read(new StringReader(text));
        Assert.Equal(8, events.Count);
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Time < p.Second.Time));
        Assert.Equal("ключ \"q\"", events[4].Key);
        Assert.Null(events[4].Expected);
        Assert.Equal("v1", events[4].Value);
        Assert.Equal(("v1", "v2"), (events[6].Expected, events[6].Value));
        Assert.Equal(EventType.Fail, events[7].Type);
        foreach (var e in events)
        {
            Assert.Equal(e, HistoryJson.Parse(HistoryJson.Serialize(e)));
        }
        var ops = History.Pair(events);
        Assert.Equal([OpStatus.Ok, OpStatus.Ok, OpStatus.Info, OpStatus.Fail], ops.Select(o => o.Status));
        Assert.Equal(events, History.ToEvents(ops, events[5].Time));
    }

    [Fact]
    public void Writer_is_thread_safe_and_times_increase()
    {
        var path = Path.Combine(Path.GetTempPath(), $"history-{Guid.NewGuid():N}.jsonl");
        try
        {
            using (var writer = HistoryWriter.Create(path))
            {
                Parallel.For(0, 8, p =>
                {
                    for (var i = 0; i < 500; i++)
                    {
                        writer.Invoke(p, OpKind.Write, $"k{p}", $"v{i}");
                        writer.Ok(p, OpKind.Write, $"k{p}", $"v{i}");
                    }
                });
            }
            var events = HistoryReader.ReadFile(path);
            Assert.Equal(8000, events.Count);
            Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Time < p.Second.Time));
            var result = HistoryChecker.CheckFile(path);
            Assert.Equal("ops 4000, anomalies 0, lost 0", result.Summary);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{\"process\":1,", "not JSON")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("{\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1}", "missing \"process\"")]
    [InlineData("{\"process\":\"p1\",\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1}", "\"process\" must be a NUMBER")]
    [InlineData("{\"process\":1.5,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1}", "\"process\" must be an integer")]
    [InlineData("{\"process\":1,\"type\":\"done\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":1}", "unknown \"type\" \"done\"")]
    [InlineData("{\"process\":1,\"type\":\"ok\",\"f\":\"append\",\"key\":\"k\",\"value\":null,\"time\":1}", "unknown \"f\" \"append\"")]
    [InlineData("{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"time\":1}", "missing \"value\"")]
    [InlineData("{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":3,\"time\":1}", "value must be a string or null")]
    [InlineData("{\"process\":1,\"type\":\"ok\",\"f\":\"cas\",\"key\":\"k\",\"value\":\"a\",\"time\":1}", "[expected, new]")]
    [InlineData("{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\",\"value\":null}", "missing \"time\"")]
    public void Malformed_lines_are_reported_with_their_line_number(string bad, string message)
    {
        var good = "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"k\",\"value\":null,\"time\":0}";
        var text = $"{good}\n\n{bad}\n{good}\n";
        var error = Assert.Throws<HistoryFormatException>(() => HistoryReader.Read(new StringReader(text)));
        Assert.Equal(3, error.Line);
        Assert.StartsWith("line 3: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_that_do_not_pair_are_refused()
    {
        static HistoryFormatException Refused(params HistoryEvent[] events) =>
            Assert.Throws<HistoryFormatException>(() => History.Pair(events));

        var twice = Refused(HistoryEvent.Read(1, EventType.Invoke, "k", null, 0), HistoryEvent.Read(1, EventType.Invoke, "k", null, 1));
        Assert.Equal(2, twice.Line);
        Assert.Contains("still outstanding", twice.Message, StringComparison.Ordinal);
        Assert.Contains("no operation outstanding", Refused(HistoryEvent.Read(1, EventType.Ok, "k", null, 0)).Message, StringComparison.Ordinal);
        Assert.Contains("but invoked read", Refused(HistoryEvent.Read(1, EventType.Invoke, "k", null, 0), HistoryEvent.Write(1, EventType.Ok, "k", "a", 1)).Message, StringComparison.Ordinal);
        var reused = Refused(
            HistoryEvent.Write(1, EventType.Invoke, "k", "a", 0), HistoryEvent.Write(1, EventType.Info, "k", "a", 1),
            HistoryEvent.Read(1, EventType.Invoke, "k", null, 2));
        Assert.Equal(3, reused.Line);
        Assert.Contains("new process id", reused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invocation_never_completed_is_unknown()
    {
        var ops = History.Pair([HistoryEvent.Write(1, EventType.Invoke, "k", "a", 5), HistoryEvent.Read(2, EventType.Invoke, "k", null, 6), HistoryEvent.Read(2, EventType.Ok, "k", "a", 7)]);
        Assert.Equal(OpStatus.Info, ops[0].Status);
        Assert.Null(ops[0].CompleteTime);
        Assert.Equal("a", ops[1].Value);
        Assert.True(LinearizabilityChecker.Check(ops).IsLinearizable);
    }
}
