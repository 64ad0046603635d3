namespace MultiRaft.Raft.Tests;

public class SmokeTests
{
    [Fact]
    public void Three_nodes_elect_a_leader_and_replicate_a_proposal()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        Assert.Equal(RaftRole.Leader, cluster[1].Node.Role);
        Assert.True(cluster[1].Propose("x=1").IsAccepted);
        cluster.Deliver();
        foreach (var peer in cluster.Peers.Values)
        {
            Assert.Equal(["x=1"], peer.AppliedCommands);
        }
    }
}
