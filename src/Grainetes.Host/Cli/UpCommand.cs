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
        var otelConsole = new Option<bool>("--otel-console")
        {
            Description = "Export OpenTelemetry traces, metrics and logs to the console (--otel-console false: only /metrics, and OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set)",
            DefaultValueFactory = _ => true,
        };
        var nodeName = new Option<string?>("--node-name") { Description = "Name of this host's node (default: the host name)" };
        var runtime = new Option<string>("--runtime") { Description = "Container runtime: auto, docker or process", DefaultValueFactory = _ => "auto" };
        runtime.AcceptOnlyFromAmong("auto", "docker", "process");
        var grace = new Option<TimeSpan>("--node-monitor-grace-period") { Description = "How long a node may not renew its lease before it is unreachable", DefaultValueFactory = _ => TimeSpan.FromSeconds(40), CustomParser = ParseDuration };
        var eviction = new Option<TimeSpan>("--pod-eviction-timeout") { Description = "How long pods stay on an unreachable node before eviction", DefaultValueFactory = _ => TimeSpan.FromSeconds(300), CustomParser = ParseDuration };
        var insecureHttp = new Option<bool>("--insecure-http") { Description = "Serve plain HTTP with no authentication, every client the admin (tests only)" };
        var tokenAuthFile = new Option<string?>("--token-auth-file") { Description = "Static bearer tokens: CSV lines token,user,uid,\"group1,group2\"" };
        var command = new Command("up", "Bring up a single-host cluster and serve the API until Ctrl-C")
        {
            home, apiPort, storage, siloPort, gatewayPort, otelConsole, nodeName, runtime, grace, eviction, insecureHttp, tokenAuthFile,
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
                Runtime = result.GetValue(runtime)!,
                NodeMonitorGracePeriod = result.GetValue(grace),
                PodEvictionTimeout = result.GetValue(eviction),
                InsecureHttp = result.GetValue(insecureHttp),
                TokenAuthFile = result.GetValue(tokenAuthFile) is { } tokens ? Path.GetFullPath(tokens) : null,
            },
            cancellationToken));
        return command;
    }

    /// <summary>Durations as Kubernetes flags spell them: <c>40s</c>, <c>5m</c>, <c>1h</c>, <c>1m30s</c>, or plain seconds.</summary>
    private static TimeSpan ParseDuration(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var plain))
        {
            return TimeSpan.FromSeconds(plain);
        }

        var total = TimeSpan.Zero;
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"(\d+(?:\.\d+)?)(ms|s|m|h)"))
        {
            var value = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromHours(value),
            };
        }

        if (total == TimeSpan.Zero && text != "0")
        {
            result.AddError($"'{text}' is not a duration such as 40s, 5m or 1m30s");
        }

        return total;
    }
}
