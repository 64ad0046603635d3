using MultiRaft.Chaos;

namespace MultiRaft.Chaos.Tests;

/// <summary>The bank kinds in the history format: their JSON shapes, round trips through the writer, reader and
/// pairing, and malformed values.</summary>
public sealed class BankHistoryFormatTests
{
    private static readonly Dictionary<string, long> Opening = new(StringComparer.Ordinal) { ["acct/1"] = 10, ["acct/0"] = 10 };

    [Fact]
    public void Bank_events_round_trip_through_the_writer_reader_and_pairing()
    {
        var transfer = new BankTransfer("acct/0", "acct/1", 3);
        using var stream = new MemoryStream();
        using (var writer = new HistoryWriter(stream, leaveOpen: true))
        {
            writer.Record(HistoryEvent.OfInit(1, EventType.Invoke, Opening));
            writer.Record(HistoryEvent.OfInit(1, EventType.Ok, Opening));
            writer.Record(HistoryEvent.OfTransfer(2, EventType.Invoke, transfer));
            writer.Record(HistoryEvent.OfBalances(3, EventType.Invoke, null));
            writer.Record(HistoryEvent.OfTransfer(2, EventType.Info, transfer));
            writer.Record(HistoryEvent.OfBalances(3, EventType.Ok, new Dictionary<string, long> { ["acct/0"] = 7, ["acct/1"] = 13 }));
        }
        stream.Position = 0;
        var text = new StreamReader(stream).ReadToEnd();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Accounts in ordinal order, whatever order the dictionary holds them in.
        Assert.Matches("""^\{"process":1,"type":"invoke","f":"init","key":"bank","value":\{"acct/0":10,"acct/1":10\},"time":\d+\}$""", lines[0]);
        Assert.Matches("""^\{"process":2,"type":"invoke","f":"transfer","key":"bank","value":\{"from":"acct/0","to":"acct/1","amount":3\},"time":\d+\}$""", lines[2]);
        Assert.Matches("""^\{"process":3,"type":"invoke","f":"balances","key":"bank","value":null,"time":\d+\}$""", lines[3]);

        var events = HistoryReader.Read(new StringReader(text));
        Assert.Equal(lines, events.Select(HistoryJson.Serialize));
        var ops = History.Pair(events);
        Assert.Equal([OpKind.Init, OpKind.Transfer, OpKind.Balances], ops.Select(o => o.F));
        Assert.Equal(20, ops[0].Balances!.Values.Sum());
        Assert.Equal((transfer, OpStatus.Info), (ops[1].Transfer, ops[1].Status));
        Assert.Equal(7, ops[2].Balances!["acct/0"]);
        Assert.Equal(lines, History.ToEvents(ops, events[4].Time).Select(HistoryJson.Serialize));
        Assert.Equal("ops 3, anomalies 0, lost 0", HistoryChecker.Check(events).Summary); // Nothing for the register checker.
    }

    [Theory]
    [InlineData("""{"process":1,"type":"invoke","f":"transfer","key":"bank","value":null,"time":1}""", "a transfer \"value\" must be")]
    [InlineData("""{"process":1,"type":"invoke","f":"transfer","key":"bank","value":{"from":"a","to":"b"},"time":1}""", "missing \"amount\"")]
    [InlineData("""{"process":1,"type":"invoke","f":"transfer","key":"bank","value":{"from":"a","to":"b","amount":1.5},"time":1}""", "\"amount\" must be an integer")]
    [InlineData("""{"process":1,"type":"invoke","f":"init","key":"bank","value":null,"time":1}""", "an init \"value\" must be an object")]
    [InlineData("""{"process":1,"type":"ok","f":"balances","key":"bank","value":null,"time":1}""", "a balances read's ok \"value\" must be an object")]
    [InlineData("""{"process":1,"type":"ok","f":"balances","key":"bank","value":{"a":"5"},"time":1}""", "balance of account \"a\" must be an integer")]
    [InlineData("""{"process":1,"type":"ok","f":"balances","key":"bank","value":{"a":5,"a":6},"time":1}""", "account \"a\" appears twice")]
    public void Malformed_bank_values_are_refused(string line, string message)
    {
        var error = Assert.Throws<HistoryFormatException>(() => HistoryReader.Read(new StringReader(line)));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
