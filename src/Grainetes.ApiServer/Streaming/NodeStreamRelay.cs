using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// Passes an exec, attach or port-forward request for a pod on another node to that node's API endpoint, as
/// kube-apiserver proxies such requests to the pod's kubelet: the request goes on unchanged (method, path, query,
/// upgrade headers), a refusal comes back as it was, and after <c>101 Switching Protocols</c> the two connections
/// are spliced byte for byte, whatever protocol runs inside.
/// </summary>
public sealed partial class NodeStreamRelay(ILogger<NodeStreamRelay> logger) : IDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
    };

    private readonly HttpMessageInvoker client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        UseCookies = false,
    });

    /// <param name="node">The node's streaming endpoint (<see cref="KubeletEndpoint.Of"/>).</param>
    /// <param name="relayedBy">This host's node name, sent along so the far side never relays again.</param>
    public async Task RelayAsync(HttpContext context, Uri node, string relayedBy, CancellationToken cancellationToken)
    {
        var incoming = context.Request;
        var target = new Uri(node, incoming.PathBase.Add(incoming.Path).ToUriComponent() + incoming.QueryString.ToUriComponent());
        using var request = new HttpRequestMessage(new HttpMethod(incoming.Method), target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        foreach (var (name, values) in incoming.Headers)
        {
            if (!HopByHop.Contains(name) && !request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        request.Headers.TryAddWithoutValidation(StreamProtocols.RelayedHeader, relayedBy);
        LogRelaying(incoming.Path, target.Authority);

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Machinery.Errors.ApiException.ServiceUnavailable($"error dialing the pod's node at {target.Authority}: {e.Message}", 1);
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
            {
                await CopyResponseAsync(context, response, cancellationToken);
                return;
            }

            var upgrade = context.Features.Get<IHttpUpgradeFeature>();
            if (upgrade is null || !upgrade.IsUpgradableRequest)
            {
                throw Machinery.Errors.ApiException.BadRequest("Upgrade request required");
            }

            var upstream = await response.Content.ReadAsStreamAsync(cancellationToken);
            CopyHeaders(context.Response.Headers, response.Headers);
            await using var downstream = await upgrade.UpgradeAsync();
            await using (upstream)
            {
                await SpliceAsync(downstream, upstream, cancellationToken);
            }
        }
    }

    public void Dispose() => client.Dispose();

    private static async Task CopyResponseAsync(HttpContext context, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = (int)response.StatusCode;
        CopyHeaders(context.Response.Headers, response.Headers);
        CopyHeaders(context.Response.Headers, response.Content.Headers);
        context.Response.Headers.Remove("Content-Length");
        await response.Content.CopyToAsync(context.Response.Body, cancellationToken);
    }

    private static void CopyHeaders(IHeaderDictionary to, HttpHeaders from)
    {
        foreach (var (name, values) in from)
        {
            if (!HopByHop.Contains(name) && !name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                to[name] = values.ToArray();
            }
        }
    }

    /// <summary>Copies both ways until either side ends, then ends the other.</summary>
    private async Task SpliceAsync(Stream downstream, Stream upstream, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = PumpAsync(downstream, upstream, stop.Token);
        var down = PumpAsync(upstream, downstream, stop.Token);
        await Task.WhenAny(up, down);
        await stop.CancelAsync();
        await Task.WhenAll(up, down);
        LogSpliceEnded();
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await to.FlushAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // One side went away: the splice ends.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Relaying {Path} to the pod's node at {Node}")]
    private partial void LogRelaying(string path, string node);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Relayed stream ended")]
    private partial void LogSpliceEnded();
}
