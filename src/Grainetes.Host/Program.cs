using System.CommandLine;
using Grainetes.Host.Cli;

var root = new RootCommand("Grainetes: a Kubernetes-style orchestrator on Microsoft Orleans")
{
    UpCommand.Create(),
    JoinCommand.Create(),
    BackupCommand.Create(),
    RestoreCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
