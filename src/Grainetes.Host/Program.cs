using System.CommandLine;
using Grainetes.Host.Cli;

var root = new RootCommand("Grainetes: a Kubernetes-style orchestrator on Microsoft Orleans")
{
    UpCommand.Create(),
    JoinCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
