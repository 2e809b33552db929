using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Benchmarks;

/// <summary>
/// The few Kubernetes calls the benchmark makes, as raw HTTP over one pooled keep-alive handler, so the figures
/// are the server's plus one loopback round trip and not a client library's serialisation.
/// </summary>
public sealed class KubeApi : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly MediaTypeHeaderValue MergePatch = new("application/merge-patch+json");

    private readonly SocketsHttpHandler _handler;

    public KubeApi(Uri address)
    {
        if (!IPAddress.TryParse(address.Host, out var ip) || !IPAddress.IsLoopback(ip))
        {
            throw new ArgumentException($"the benchmark only sends traffic to loopback, not {address}", nameof(address));
        }

        _handler = new SocketsHttpHandler
        {
            // An HTTP(S)_PROXY in the environment must not put a proxy between us and loopback.
            UseProxy = false,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 128,
            AutomaticDecompression = DecompressionMethods.None,
        };
        Http = new HttpClient(_handler, disposeHandler: false) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

        // A watch stays open for the whole phase; it shares the pool but not the per-request timeout.
        Streaming = new HttpClient(_handler, disposeHandler: false) { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
    }

    public HttpClient Http { get; }

    public HttpClient Streaming { get; }

    public static string ConfigMapPath(string ns) => $"/api/v1/namespaces/{ns}/configmaps";

    public static byte[] ConfigMapBody(string name, string payload) => Encoding.UTF8.GetBytes(
        new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["data"] = new JsonObject { ["payload"] = payload },
        }.ToJsonString());

    public async Task CreateNamespaceAsync(string ns, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(
            $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""");
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces", body, Json, HttpStatusCode.Created, cancellationToken)
            .ConfigureAwait(false);
    }

    public Task<byte[]> CreateAsync(string ns, byte[] body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, ConfigMapPath(ns), body, Json, HttpStatusCode.Created, cancellationToken);

    public Task<byte[]> GetAsync(string ns, string name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"{ConfigMapPath(ns)}/{name}", null, null, HttpStatusCode.OK, cancellationToken);

    public Task<byte[]> ListAsync(string ns, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, ConfigMapPath(ns), null, null, HttpStatusCode.OK, cancellationToken);

    public Task<byte[]> MergePatchAsync(string ns, string name, byte[] patch, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, $"{ConfigMapPath(ns)}/{name}", patch, MergePatch, HttpStatusCode.OK, cancellationToken);

    public async Task DeleteAsync(string ns, string name, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"{ConfigMapPath(ns)}/{name}");
        using var response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        // Kubernetes answers 200 for an immediate delete and 202 when finalizers defer it; both count.
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Accepted))
        {
            throw await UnexpectedAsync(request, response, cancellationToken).ConfigureAwait(false);
        }

        _ = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<(int Items, string ResourceVersion, int Bytes)> ListSummaryAsync(string ns, CancellationToken cancellationToken)
    {
        var bytes = await ListAsync(ns, cancellationToken).ConfigureAwait(false);
        var list = JsonNode.Parse(bytes)!;
        return (list["items"]!.AsArray().Count, (string)list["metadata"]!["resourceVersion"]!, bytes.Length);
    }

    /// <summary>POST of a JSON body to any path; 201 expected.</summary>
    public Task<byte[]> PostAsync(string path, byte[] body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, body, Json, HttpStatusCode.Created, cancellationToken);

    /// <summary>JSON merge patch of any path; 200 expected.</summary>
    public Task<byte[]> MergePatchPathAsync(string path, byte[] patch, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, path, patch, MergePatch, HttpStatusCode.OK, cancellationToken);

    /// <summary>GET of any path; 200 expected.</summary>
    public Task<byte[]> GetPathAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, null, HttpStatusCode.OK, cancellationToken);

    /// <summary>DELETE of any path; 200, 202 and 404 (already gone) all count.</summary>
    public async Task DeletePathAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        using var response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Accepted or HttpStatusCode.NotFound))
        {
            throw await UnexpectedAsync(request, response, cancellationToken).ConfigureAwait(false);
        }

        _ = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        Http.Dispose();
        Streaming.Dispose();
        _handler.Dispose();
    }

    private async Task<byte[]> SendAsync(
        HttpMethod method, string path, byte[]? body, MediaTypeHeaderValue? contentType, HttpStatusCode expected,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = contentType;
        }

        using var response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != expected)
        {
            throw await UnexpectedAsync(request, response, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Exception> UnexpectedAsync(
        HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return new HttpRequestException(
            $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}");
    }
}
