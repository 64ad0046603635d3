using System.CommandLine;
using MultiRaft.Cli;

var root = new RootCommand("multiraft: a Multi-Raft sharded key-value store (servers and ops tool)");
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(PdCommand.Create());
root.Subcommands.Add(StoreCommand.Create());
root.Subcommands.Add(KvCommand.Create());
root.Subcommands.Add(TxnCommand.Create());
root.Subcommands.Add(OpsCommands.Stores());
root.Subcommands.Add(OpsCommands.Regions());
root.Subcommands.Add(OpsCommands.Split());
foreach (var command in OperatorCommands.All())
{
    root.Subcommands.Add(command);
}
root.Subcommands.Add(SchedulerCommand.Create());
root.Subcommands.Add(RebalanceCommand.Create());
root.Subcommands.Add(MultiRaft.Cli.Bench.BenchCommand.Create());
root.Subcommands.Add(SimCommand.Create());
root.Subcommands.Add(MultiRaft.Cli.Chaos.ChaosCommand.Create());
var soak = new Command("soak", "Long-running measurements that do not belong in the test suite. Example: multiraft soak idle-regions --regions 1000");
soak.Subcommands.Add(IdleRegionsCommand.Create());
root.Subcommands.Add(soak);
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
