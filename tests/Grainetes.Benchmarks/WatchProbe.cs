using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Grainetes.Benchmarks;

/// <summary>
/// Reads a configmap watch and stamps the moment each MODIFIED event carrying <c>data.seq</c> is read off the
/// stream; matching on a sequence number in the data works whether the event arrives before or after the
/// PATCH response.
/// </summary>
public sealed class WatchProbe : IAsyncDisposable
{
    private readonly TaskCompletionSource<long>[] _arrivals;
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpResponseMessage _response;
    private readonly Task _reader;

    private WatchProbe(HttpResponseMessage response, Stream stream, string name, int sequences)
    {
        _response = response;
        _arrivals = Enumerable.Range(0, sequences)
            .Select(_ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously))
            .ToArray();
        _reader = Task.Run(() => ReadAsync(stream, name));
    }

    public static async Task<WatchProbe> OpenAsync(
        KubeApi api, string ns, string name, string resourceVersion, int sequences, CancellationToken cancellationToken)
    {
        var path = $"{KubeApi.ConfigMapPath(ns)}?watch=true&resourceVersion={resourceVersion}&timeoutSeconds=600";
        var response = await api.Streaming.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
            .ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var status = response.StatusCode;
            response.Dispose();
            throw new HttpRequestException($"watch {path} answered {(int)status}");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return new WatchProbe(response, stream, name, sequences);
    }

    /// <summary>The Stopwatch timestamp at which the event for <paramref name="sequence"/> was read.</summary>
    public Task<long> ArrivalAsync(int sequence) => _arrivals[sequence].Task;

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

    private async Task ReadAsync(Stream stream, string name)
    {
        try
        {
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(_stop.Token).ConfigureAwait(false) is { } line)
            {
                // Stamp before parsing: the delay is the server's, not our JSON parser's.
                var at = Stopwatch.GetTimestamp();
                if (line.Length == 0)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var type = root.GetProperty("type").GetString();
                if (type == "ERROR")
                {
                    throw new InvalidOperationException("the watch sent an ERROR event: " + line);
                }

                if (type != "MODIFIED")
                {
                    continue;
                }

                var obj = root.GetProperty("object");
                if (obj.GetProperty("metadata").GetProperty("name").GetString() == name
                    && obj.TryGetProperty("data", out var data)
                    && data.TryGetProperty("seq", out var seq)
                    && int.TryParse(seq.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
                    && sequence >= 0 && sequence < _arrivals.Length)
                {
                    _arrivals[sequence].TrySetResult(at);
                }
            }

            throw new InvalidOperationException("the watch stream ended early");
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            foreach (var arrival in _arrivals)
            {
                arrival.TrySetException(e);
            }
        }
    }
}
