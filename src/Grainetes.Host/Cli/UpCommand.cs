using System.CommandLine;
using Grainetes.Host.Hosting;

namespace Grainetes.Host.Cli;

/// <summary><c>grainetes up</c>: the first host of a cluster (or the only one) in the foreground until Ctrl-C; prints the join command for the others.</summary>
public static class UpCommand
{
    public static Command Create()
    {
        var shared = new SiloCommandOptions();
        var storage = new Option<string?>("--storage") { Description = "Azure Table Storage connection string (default: start Azurite under --home)" };
        var azuriteHost = new Option<string>("--azurite-host")
        {
            Description = "Address Azurite listens on and the join command names (default 127.0.0.1; this host's address when other hosts join)",
            DefaultValueFactory = _ => "127.0.0.1",
            CustomParser = r => SiloCommandOptions.ParseAddress(r) ?? "127.0.0.1",
        };
        var command = new Command("up", "Bring up a cluster's first (or only) host and serve the API until Ctrl-C");
        shared.AddTo(command);
        command.Options.Add(storage);
        command.Options.Add(azuriteHost);
        command.SetAction((result, cancellationToken) => ClusterHost.RunAsync(
            shared.ToSettings(result) with
            {
                Storage = result.GetValue(storage),
                AzuriteHost = result.GetValue(azuriteHost)!,
            },
            cancellationToken));
        return command;
    }
}
