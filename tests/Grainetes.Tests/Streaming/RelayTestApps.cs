using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Grainetes.Tests.Streaming;

/// <summary>The pieces the stream relay tests share: a quiet Kestrel app on a loopback port, and reading one WebSocket message.</summary>
internal static class RelayTestApps
{
    /// <summary>An app listening on 127.0.0.1:<paramref name="port"/> only, with its logging off.</summary>
    public static WebApplication App(int port)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        return builder.Build();
    }

    /// <summary>One message as text; a loaded machine gets 30 s before it counts as lost.</summary>
    public static async Task<string> ReceiveTextAsync(WebSocket socket)
    {
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}
