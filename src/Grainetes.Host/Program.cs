using System.CommandLine;
using Grainetes.Host.Cli;

var root = new RootCommand("Grainetes: a Kubernetes-style orchestrator on Microsoft Orleans")
{
    UpCommand.Create(),
    JoinCommand.Create(),
    BackupCommand.Create(),
    RestoreCommand.Create(),
};
// The host handles SIGINT and SIGTERM itself (Hosting/StopSignals) with a bounded stop; System.CommandLine's own
// handling would end the process two seconds after the signal, in the middle of the silo's graceful stop.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
