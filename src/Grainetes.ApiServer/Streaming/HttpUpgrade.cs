using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Grainetes.Machinery.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// Takes over an HTTP/1.1 connection through Kestrel's upgrade feature: a WebSocket handshake (RFC 6455, done here
/// so that the API needs no WebSocket middleware and the relay can pass any upgrade through) or a SPDY upgrade.
/// </summary>
public static class HttpUpgrade
{
    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static bool IsWebSocket(HttpRequest request) =>
        request.Headers.Upgrade.Any(u => u?.Contains("websocket", StringComparison.OrdinalIgnoreCase) == true);

    public static bool IsSpdy(HttpRequest request) =>
        request.Headers.Upgrade.Any(u => u?.StartsWith(StreamProtocols.Spdy, StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>The subprotocols a WebSocket client offers, in its order.</summary>
    public static IReadOnlyList<string> OfferedSubprotocols(HttpRequest request) => Split(request.Headers.SecWebSocketProtocol);

    /// <summary>The stream protocols a SPDY client offers (<c>X-Stream-Protocol-Version</c>, repeated or comma-separated).</summary>
    public static IReadOnlyList<string> OfferedStreamProtocols(HttpRequest request) => Split(request.Headers[StreamProtocols.StreamProtocolHeader]);

    /// <summary>Answers the handshake with 101 and returns the WebSocket (server side).</summary>
    public static async Task<WebSocket> AcceptWebSocketAsync(HttpContext context, string? subprotocol)
    {
        var upgrade = UpgradeFeature(context);
        var key = context.Request.Headers.SecWebSocketKey.ToString();
        if (string.IsNullOrWhiteSpace(key) || context.Request.Headers.SecWebSocketVersion.ToString() != "13")
        {
            throw ApiException.BadRequest("a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13");
        }

        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = AcceptKey(key.Trim());
        if (subprotocol is not null)
        {
            context.Response.Headers.SecWebSocketProtocol = subprotocol;
        }

        var stream = await upgrade.UpgradeAsync();
        // The subprotocol is negotiated by the headers above; .NET would refuse kubectl's "SPDY/3.1+portforward.k8s.io"
        // (a '/' is no token character), so the socket is not told it.
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        });
    }

    /// <summary>Answers a SPDY upgrade with 101 for <paramref name="protocol"/> and returns the raw connection.</summary>
    public static async Task<Stream> AcceptSpdyAsync(HttpContext context, string protocol)
    {
        var upgrade = UpgradeFeature(context);
        context.Response.Headers.Upgrade = StreamProtocols.Spdy;
        context.Response.Headers[StreamProtocols.StreamProtocolHeader] = protocol;
        return await upgrade.UpgradeAsync();
    }

    /// <summary>The <c>Sec-WebSocket-Accept</c> answer to a client's key.</summary>
    public static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + WebSocketGuid)));

    private static IHttpUpgradeFeature UpgradeFeature(HttpContext context)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is null || !upgrade.IsUpgradableRequest)
        {
            throw ApiException.BadRequest("Upgrade request required");
        }

        return upgrade;
    }

    private static List<string> Split(Microsoft.Extensions.Primitives.StringValues values) =>
        values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
