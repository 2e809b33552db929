using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Grainetes.Host.Cli;

/// <summary>The flags <c>up</c> and <c>join</c> share: where this host keeps its data, its ports and addresses, its node.</summary>
internal sealed class SiloCommandOptions
{
    public Option<string> Home { get; } = new("--home")
    {
        Description = "Directory for Azurite's data, logs, the PKI and the kubeconfig",
        DefaultValueFactory = _ => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".grainetes"),
    };

    public Option<int> ApiPort { get; } = new("--api-port") { Description = "Port of the API server (on loopback and the advertised address)", DefaultValueFactory = _ => 6443 };

    public Option<int> SiloPort { get; } = new("--silo-port") { Description = "Orleans silo-to-silo port", DefaultValueFactory = _ => 11111 };

    public Option<int> GatewayPort { get; } = new("--gateway-port") { Description = "Orleans client gateway port", DefaultValueFactory = _ => 30000 };

    public Option<string?> AdvertiseAddress { get; } = new("--advertise-address")
    {
        Description = "This host's address for the other hosts: the silo's endpoint and an extra API listen address (default 127.0.0.1, one machine)",
        CustomParser = ParseAddress,
    };

    public Option<bool> OtelConsole { get; } = new("--otel-console")
    {
        Description = "Export OpenTelemetry traces, metrics and logs to the console (--otel-console false: only /metrics, and OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set)",
        DefaultValueFactory = _ => true,
    };

    public Option<string?> NodeName { get; } = new("--node-name") { Description = "Name of this host's node (default: the host name)" };

    public Option<string> Runtime { get; } = CreateRuntime();

    public Option<TimeSpan> Grace { get; } = new("--node-monitor-grace-period") { Description = "How long a node may not renew its lease before it is unreachable", DefaultValueFactory = _ => TimeSpan.FromSeconds(40), CustomParser = ParseDuration };

    public Option<TimeSpan> Eviction { get; } = new("--pod-eviction-timeout") { Description = "How long pods stay on an unreachable node before eviction", DefaultValueFactory = _ => TimeSpan.FromSeconds(300), CustomParser = ParseDuration };

    public Option<bool> InsecureHttp { get; } = new("--insecure-http") { Description = "Serve plain HTTP with no authentication, every client the admin (tests only)" };

    public Option<string?> TokenAuthFile { get; } = new("--token-auth-file") { Description = "Static bearer tokens: CSV lines token,user,uid,\"group1,group2\"" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Home, ApiPort, SiloPort, GatewayPort, AdvertiseAddress, OtelConsole, NodeName, Runtime, Grace, Eviction, InsecureHttp, TokenAuthFile })
        {
            command.Options.Add(option);
        }
    }

    public UpSettings ToSettings(ParseResult result) => new()
    {
        Home = Path.GetFullPath(result.GetValue(Home)!),
        ApiPort = result.GetValue(ApiPort),
        SiloPort = result.GetValue(SiloPort),
        GatewayPort = result.GetValue(GatewayPort),
        AdvertiseAddress = result.GetValue(AdvertiseAddress),
        OtelConsole = result.GetValue(OtelConsole),
        NodeName = result.GetValue(NodeName),
        Runtime = result.GetValue(Runtime)!,
        NodeMonitorGracePeriod = result.GetValue(Grace),
        PodEvictionTimeout = result.GetValue(Eviction),
        InsecureHttp = result.GetValue(InsecureHttp),
        TokenAuthFile = result.GetValue(TokenAuthFile) is { } tokens ? Path.GetFullPath(tokens) : null,
    };

    private static Option<string> CreateRuntime()
    {
        var runtime = new Option<string>("--runtime") { Description = "Container runtime: auto, docker or process", DefaultValueFactory = _ => "auto" };
        runtime.AcceptOnlyFromAmong("auto", "docker", "process");
        return runtime;
    }

    /// <summary>An IP address (not a name: it goes into the membership table and the serving certificate as it is).</summary>
    internal static string? ParseAddress(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (!IPAddress.TryParse(text, out var address))
        {
            result.AddError($"'{text}' is not an IP address");
            return null;
        }

        return address.ToString();
    }

    /// <summary>Durations as Kubernetes flags spell them: <c>40s</c>, <c>5m</c>, <c>1h</c>, <c>1m30s</c>, or plain seconds.</summary>
    private static TimeSpan ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain))
        {
            return TimeSpan.FromSeconds(plain);
        }

        var total = TimeSpan.Zero;
        foreach (Match m in Regex.Matches(text, @"(\d+(?:\.\d+)?)(ms|s|m|h)"))
        {
            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
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
