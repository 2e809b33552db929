using System.Net.Sockets;
using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Runtime;
using static Grainetes.NodeAgent.Kubelet.PodJson;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>Runs one probe once: exec in the container, HTTP GET or TCP connect to the pod's address.</summary>
internal sealed class ProbeRunner(IContainerRuntime runtime, HttpClient http, TimeProvider time)
{
    public async Task<(bool Success, string Message)> RunAsync(
        JsonObject probe, TimeSpan timeout, string containerId, JsonObject container, string podIP, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero) timeout = TimeSpan.FromSeconds(1);
        try
        {
            if (Node(probe, "exec") is JsonObject exec)
            {
                var command = Strings(exec, "command") ?? [];
                var result = await runtime.ExecAsync(containerId, command, timeout, cancellationToken);
                if (result.TimedOut) return (false, $"command timed out after {timeout.TotalSeconds:0}s");
                return result.ExitCode == 0
                    ? (true, "")
                    : (false, $"command \"{string.Join(' ', command)}\" exited with {result.ExitCode}: {result.Output.Trim()}");
            }

            using var cts = new CancellationTokenSource(timeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, cancellationToken);
            if (Node(probe, "httpGet") is JsonObject httpGet)
            {
                var port = Port(httpGet, container);
                var hostName = Str(httpGet, "host") ?? podIP;
                var scheme = (Str(httpGet, "scheme") ?? "HTTP").ToLowerInvariant();
                var path = Str(httpGet, "path") ?? "/";
                if (!path.StartsWith('/')) path = "/" + path;
                var uri = new Uri($"{scheme}://{Bracket(hostName)}:{port}{path}");
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.34");
                foreach (var header in Objects(httpGet, "httpHeaders"))
                {
                    if (Str(header, "name") is { } name)
                    {
                        request.Headers.Remove(name);
                        request.Headers.TryAddWithoutValidation(name, Str(header, "value") ?? "");
                    }
                }

                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                var code = (int)response.StatusCode;
                return code is >= 200 and < 400 ? (true, "") : (false, $"HTTP probe failed with statuscode: {code}");
            }

            if (Node(probe, "tcpSocket") is JsonObject tcp)
            {
                var port = Port(tcp, container);
                using var client = new TcpClient();
                await client.ConnectAsync(Str(tcp, "host") ?? podIP, port, linked.Token);
                return (true, "");
            }

            // gRPC probes are not supported; a probe that cannot run must not kill the container.
            return (true, "");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"probe timed out after {timeout.TotalSeconds:0}s");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or InvalidOperationException or UriFormatException)
        {
            return (false, e.Message);
        }
    }

    /// <summary>A probe port is a number or the name of one of the container's ports.</summary>
    private static int Port(JsonObject action, JsonObject container)
    {
        var text = IntOrString(action, "port") ?? "";
        if (int.TryParse(text, out var port)) return port;
        var named = Objects(container, "ports").FirstOrDefault(p => Str(p, "name") == text);
        return named is not null && Int(named, "containerPort") is { } p
            ? (int)p
            : throw new InvalidOperationException($"port \"{text}\" not found in the container's ports");
    }

    private static string Bracket(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}
