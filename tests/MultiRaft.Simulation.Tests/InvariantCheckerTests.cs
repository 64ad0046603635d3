using MultiRaft.Raft;

namespace MultiRaft.Simulation.Tests;

public class InvariantCheckerTests
{
    private static SimNode Leader(ulong id, ulong[] voters)
    {
        var node = SimNode.Bootstrap(id, voters, seed: 7);
        node.Node.Campaign();
        while (node.Node.HasReady)
        {
            var ready = node.Node.GetReady();
            node.PersistEntries(ready.Entries);
            node.Node.Advance(ready);
        }
        return node;
    }

    [Fact]
    public void Two_leaders_in_one_term_violate_election_safety()
    {
        var checker = new InvariantChecker();
        var a = Leader(1, [1]);
        var b = Leader(2, [2]);
        Assert.Equal(a.Node.Term, b.Node.Term);
        var error = Assert.Throws<SimulationViolationException>(() => checker.CheckLeaders([a, b]));
        Assert.Contains("election safety", error.Message);
    }

    [Fact]
    public void Same_index_and_term_with_different_prefixes_violates_log_matching()
    {
        var checker = new InvariantChecker();
        var a = SimNode.Bootstrap(1, [1, 2], seed: 1);
        var b = SimNode.Bootstrap(2, [1, 2], seed: 1);
        Entry[] first = [new(6, 6, new byte[] { 1 }), new(6, 7, new byte[] { 2 })];
        Entry[] second = [new(6, 6, new byte[] { 9 }), new(6, 7, new byte[] { 2 })];
        a.PersistEntries(first);
        checker.CheckPersisted(a, first);
        b.PersistEntries(second);
        var error = Assert.Throws<SimulationViolationException>(() => checker.CheckPersisted(b, second));
        Assert.Contains("log matching", error.Message);
    }

    [Fact]
    public void Applying_a_different_entry_at_an_index_violates_state_machine_safety()
    {
        var checker = new InvariantChecker();
        var a = SimNode.Bootstrap(1, [1, 2], seed: 1);
        var b = SimNode.Bootstrap(2, [1, 2], seed: 1);
        checker.CheckApply(a, new Entry(6, 6, new byte[] { 1 }));
        var error = Assert.Throws<SimulationViolationException>(() => checker.CheckApply(b, new Entry(6, 6, new byte[] { 2 })));
        Assert.Contains("state machine safety", error.Message);
    }

    [Fact]
    public void Applying_out_of_order_is_a_violation()
    {
        var checker = new InvariantChecker();
        var a = SimNode.Bootstrap(1, [1], seed: 1);
        Assert.Throws<SimulationViolationException>(() => checker.CheckApply(a, new Entry(6, 7, new byte[] { 1 })));
    }

    [Fact]
    public void A_read_index_behind_an_acknowledged_write_is_a_stale_read()
    {
        var checker = new InvariantChecker();
        var a = SimNode.Bootstrap(1, [1], seed: 1);
        checker.Acknowledge(writeId: 1, index: 9);
        checker.CheckRead(a, new ReadState(9, 1), mustSee: checker.MaxAcknowledgedIndex);
        var error = Assert.Throws<SimulationViolationException>(() => checker.CheckRead(a, new ReadState(8, 2), mustSee: checker.MaxAcknowledgedIndex));
        Assert.Contains("stale read", error.Message);
    }
}
