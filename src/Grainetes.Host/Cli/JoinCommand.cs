using System.CommandLine;
using Grainetes.Host.Hosting;

namespace Grainetes.Host.Cli;

/// <summary><c>grainetes join</c>: another host joins the cluster whose storage account and secret it is given, as its own node.</summary>
public static class JoinCommand
{
    public static Command Create()
    {
        var shared = new SiloCommandOptions();
        var storage = new Option<string>("--storage") { Description = "The cluster's Azure Table Storage connection string (from the join command)", Required = true };
        var secret = new Option<string>("--cluster-secret") { Description = "The cluster's secret (from the join command): opens the cluster's CA and keys", Required = true };
        var command = new Command("join", "Join this host to a cluster as a node and serve the API until Ctrl-C");
        shared.AddTo(command);
        command.Options.Add(storage);
        command.Options.Add(secret);
        command.SetAction((result, cancellationToken) => ClusterHost.RunAsync(
            shared.ToSettings(result) with
            {
                Storage = result.GetValue(storage),
                ClusterSecret = result.GetValue(secret),
            },
            cancellationToken));
        return command;
    }
}
