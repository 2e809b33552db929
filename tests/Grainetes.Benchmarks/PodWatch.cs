using System.Diagnostics;
using System.Text.Json;

namespace Grainetes.Benchmarks;

/// <summary>
/// Reads a watch on a namespace's pods and hands each event to a callback with the Stopwatch timestamp at which
/// its line was read (stamped before parsing, so the client's JSON parser is not in the figure).
/// </summary>
public sealed class PodWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpResponseMessage _response;
    private readonly Task _reader;

    private PodWatch(HttpResponseMessage response, Stream stream, Action<string, JsonElement, long> onEvent)
    {
        _response = response;
        _reader = Task.Run(() => ReadAsync(stream, onEvent));
    }

    /// <summary>Set when the stream fails or ends before it is disposed.</summary>
    public Exception? Failure { get; private set; }

    public static async Task<PodWatch> OpenAsync(
        KubeApi api, string ns, string resourceVersion, Action<string, JsonElement, long> onEvent, CancellationToken cancellationToken)
    {
        var path = $"/api/v1/namespaces/{ns}/pods?watch=true&resourceVersion={resourceVersion}&timeoutSeconds=900";
        var response = await api.Streaming.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
            .ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var status = response.StatusCode;
            response.Dispose();
            throw new HttpRequestException($"watch {path} answered {(int)status}");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return new PodWatch(response, stream, onEvent);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _response.Dispose();
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
        {
            // Disposing the response is how the stream read is ended.
        }

        _stop.Dispose();
    }

    private async Task ReadAsync(Stream stream, Action<string, JsonElement, long> onEvent)
    {
        try
        {
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(_stop.Token).ConfigureAwait(false) is { } line)
            {
                var at = Stopwatch.GetTimestamp();
                if (line.Length == 0)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var type = root.GetProperty("type").GetString() ?? "";
                if (type == "ERROR")
                {
                    throw new InvalidOperationException("the watch sent an ERROR event: " + line);
                }

                onEvent(type, root.GetProperty("object"), at);
            }

            throw new InvalidOperationException("the watch stream ended early");
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            Failure = e;
        }
    }

    public static string Name(JsonElement pod) => pod.GetProperty("metadata").GetProperty("name").GetString() ?? "";

    public static string NodeName(JsonElement pod) =>
        pod.TryGetProperty("spec", out var spec) && spec.TryGetProperty("nodeName", out var node) ? node.GetString() ?? "" : "";

    public static bool IsReady(JsonElement pod)
    {
        if (!pod.TryGetProperty("status", out var status) || !status.TryGetProperty("conditions", out var conditions)
            || conditions.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var condition in conditions.EnumerateArray())
        {
            if (condition.TryGetProperty("type", out var t) && t.GetString() == "Ready"
                && condition.TryGetProperty("status", out var s) && s.GetString() == "True")
            {
                return true;
            }
        }

        return false;
    }
}
