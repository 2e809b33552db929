using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Grainetes.Benchmarks.Startup;

namespace Grainetes.Benchmarks.Workloads;

/// <summary>
/// What the Docker daemon alone needs for N pods at once, measured in the same invocation as the cluster: each "pod"
/// is what the Docker runtime makes of one (a pause container on the bridge network, then an app container in its
/// network namespace), created and started straight through the Engine API socket, all pods concurrently.
/// </summary>
public sealed class DockerFloor : IDisposable
{
    private const string Socket = "/var/run/docker.sock";
    private readonly HttpClient _http;
    private readonly string _label;

    public DockerFloor(string run)
    {
        _label = "io.grainetes.bench.floor=" + run;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://docker/v1.41/"), Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>Starts <paramref name="pods"/> pods at once; returns the time until the last app container's start answered. Removes them after.</summary>
    public async Task<TimeSpan> MeasureAsync(int pods, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, pods).Select(_ => PodAsync(cancellationToken))).ConfigureAwait(false);
            return clock.Elapsed;
        }
        finally
        {
            await RemoveAllAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task PodAsync(CancellationToken cancellationToken)
    {
        var pause = await CreateAsync(new JsonObject
        {
            ["Image"] = "grainetes/pause:1",
            ["HostConfig"] = new JsonObject { ["NetworkMode"] = "bridge" },
        }, cancellationToken).ConfigureAwait(false);
        await StartAsync(pause, cancellationToken).ConfigureAwait(false);
        var app = await CreateAsync(new JsonObject
        {
            ["Image"] = PodStartupBenchmark.Image,
            ["Cmd"] = new JsonArray("sleep", "3600"),
            ["HostConfig"] = new JsonObject { ["NetworkMode"] = "container:" + pause },
        }, cancellationToken).ConfigureAwait(false);
        await StartAsync(app, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> CreateAsync(JsonObject body, CancellationToken cancellationToken)
    {
        var parts = _label.Split('=');
        body["Labels"] = new JsonObject { [parts[0]] = parts[1] };
        using var response = await _http.PostAsJsonAsync("containers/create", body, cancellationToken).ConfigureAwait(false);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"docker create answered {(int)response.StatusCode}: {answer}");
        }

        return (string)JsonNode.Parse(answer)!["Id"]!;
    }

    private async Task StartAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync($"containers/{id}/start", null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"docker start answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }
    }

    private async Task RemoveAllAsync()
    {
        var filters = Uri.EscapeDataString(new JsonObject { ["label"] = new JsonArray(_label) }.ToJsonString());
        var listed = JsonNode.Parse(await _http.GetStringAsync($"containers/json?all=true&filters={filters}").ConfigureAwait(false))!.AsArray();
        await Task.WhenAll(listed.Select(async c =>
        {
            using var response = await _http.DeleteAsync($"containers/{(string)c!["Id"]!}?force=true").ConfigureAwait(false);
        })).ConfigureAwait(false);
    }
}
