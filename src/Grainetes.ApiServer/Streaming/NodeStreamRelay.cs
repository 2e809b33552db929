using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grainetes.ApiServer.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// Passes an exec, attach or port-forward request for a pod on another node to that node's API endpoint, as
/// kube-apiserver proxies such requests to the pod's kubelet: the request goes on unchanged (method, path, query,
/// upgrade headers), a refusal comes back as it was, and after <c>101 Switching Protocols</c> the two connections
/// are spliced byte for byte, whatever protocol runs inside. With <see cref="NodeRelayCredentials"/> the hop is TLS
/// (the far silo's serving certificate must chain to the cluster CA and name the address dialled), this host
/// authenticates with its own client certificate, and the caller's credentials are replaced by <c>Impersonate-*</c>
/// headers naming the user this server authenticated, so the far side authorizes the original caller, not the relay.
/// </summary>
public sealed partial class NodeStreamRelay(ILogger<NodeStreamRelay> logger, NodeRelayCredentials? credentials = null) : IDisposable
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
        SslOptions = credentials is null ? new SslClientAuthenticationOptions() : TlsOptions(credentials),
    });

    /// <param name="node">The node's streaming endpoint (<see cref="KubeletEndpoint.Of"/>).</param>
    /// <param name="relayedBy">This host's node name, sent along so the far side never relays again.</param>
    public async Task RelayAsync(HttpContext context, Uri node, string relayedBy, CancellationToken cancellationToken)
    {
        var incoming = context.Request;
        if (credentials is not null)
        {
            node = new UriBuilder(node) { Scheme = Uri.UriSchemeHttps }.Uri;
        }

        var target = new Uri(node, incoming.PathBase.Add(incoming.Path).ToUriComponent() + incoming.QueryString.ToUriComponent());
        using var request = new HttpRequestMessage(new HttpMethod(incoming.Method), target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        foreach (var (name, values) in incoming.Headers)
        {
            if (credentials is not null && IsCredential(name))
            {
                continue;
            }

            if (!HopByHop.Contains(name) && !request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        if (credentials is not null)
        {
            Impersonate(request.Headers, RequestUser.Of(context));
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

    private static SslClientAuthenticationOptions TlsOptions(NodeRelayCredentials credentials)
    {
        // Only the cluster CA is trusted, not the machine's roots: a certificate any public CA issued for that address is refused.
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(credentials.ClusterCa);
        policy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
        return new SslClientAuthenticationOptions
        {
            CertificateChainPolicy = policy,
            ClientCertificates = [credentials.ClientCertificate],
        };
    }

    /// <summary>The caller's own credential and any impersonation it asked for, which the relay's identity replaces.</summary>
    private static bool IsCredential(string header) =>
        header.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || header.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Names the user this server authenticated (after any impersonation it allowed). <c>system:authenticated</c> is
    /// left out: the far side adds it to every impersonated user, as Kubernetes does.
    /// </summary>
    private static void Impersonate(HttpRequestHeaders headers, Machinery.Security.UserInfo user)
    {
        headers.TryAddWithoutValidation("Impersonate-User", user.Name);
        foreach (var group in user.Groups.Where(g => g != Machinery.Security.UserInfo.AllAuthenticated))
        {
            headers.TryAddWithoutValidation("Impersonate-Group", group);
        }

        if (!string.IsNullOrEmpty(user.Uid))
        {
            headers.TryAddWithoutValidation("Impersonate-Uid", user.Uid);
        }
    }

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
