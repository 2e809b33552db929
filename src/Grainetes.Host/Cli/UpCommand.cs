using System.CommandLine;
using Grainetes.Host.Hosting;

namespace Grainetes.Host.Cli;

/// <summary><c>grainetes up</c>: a single-host cluster in the foreground until Ctrl-C.</summary>
public static class UpCommand
{
    public static Command Create()
    {
        var home = new Option<string>("--home")
        {
            Description = "Directory for Azurite's data, logs and the kubeconfig",
            DefaultValueFactory = _ => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".grainetes"),
        };
        var apiPort = new Option<int>("--api-port") { Description = "Port of the API server on loopback", DefaultValueFactory = _ => 6443 };
        var storage = new Option<string?>("--storage") { Description = "Azure Table Storage connection string (default: start Azurite under --home)" };
        var siloPort = new Option<int>("--silo-port") { Description = "Orleans silo-to-silo port", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Orleans client gateway port", DefaultValueFactory = _ => 30000 };
        var otelConsole = new Option<bool>("--otel-console") { Description = "Export traces and metrics to the console" };
        var nodeName = new Option<string?>("--node-name") { Description = "Name of this host's node (default: the host name)" };
        var command = new Command("up", "Bring up a single-host cluster and serve the API until Ctrl-C")
        {
            home, apiPort, storage, siloPort, gatewayPort, otelConsole, nodeName,
        };
        command.SetAction((result, cancellationToken) => ClusterHost.RunAsync(
            new UpSettings
            {
                Home = Path.GetFullPath(result.GetValue(home)!),
                ApiPort = result.GetValue(apiPort),
                Storage = result.GetValue(storage),
                SiloPort = result.GetValue(siloPort),
                GatewayPort = result.GetValue(gatewayPort),
                OtelConsole = result.GetValue(otelConsole),
                NodeName = result.GetValue(nodeName),
            },
            cancellationToken));
        return command;
    }
}
