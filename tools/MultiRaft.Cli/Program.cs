using System.CommandLine;
using MultiRaft.Cli;

var root = new RootCommand("multiraft: a Multi-Raft sharded key-value store (servers and ops tool)");
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(PdCommand.Create());
root.Subcommands.Add(StoreCommand.Create());
root.Subcommands.Add(KvCommand.Create());
root.Subcommands.Add(SimCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
