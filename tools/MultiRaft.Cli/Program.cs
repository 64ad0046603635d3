using System.CommandLine;
using MultiRaft.Cli;

var root = new RootCommand("multiraft: a Multi-Raft sharded key-value store (servers and ops tool)");
root.Subcommands.Add(SimCommand.Create());
return root.Parse(args).Invoke();
