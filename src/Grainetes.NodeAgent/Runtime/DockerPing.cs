using System.Net.Sockets;

namespace Grainetes.NodeAgent.Runtime;

/// <summary>Asks a Docker Engine endpoint for <c>/_ping</c>, to tell whether a daemon answers before choosing the Docker runtime.</summary>
public static class DockerPing
{
    /// <summary>True when the daemon at <paramref name="endpoint"/> (<c>unix://</c> or <c>tcp://</c>/<c>http://</c>) answers OK within <paramref name="timeout"/>.</summary>
    public static async Task<bool> AnswersAsync(string endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            using var client = CreateClient(endpoint, out var baseUri);
            using var response = await client.GetAsync(new Uri(baseUri, "_ping"), bounded.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or SocketException or IOException or UriFormatException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }

    private static HttpClient CreateClient(string endpoint, out Uri baseUri)
    {
        var uri = new Uri(endpoint);
        if (uri.Scheme == "unix")
        {
            var socketPath = uri.LocalPath;
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, token) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token).ConfigureAwait(false);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            baseUri = new Uri("http://docker/");
            return new HttpClient(handler);
        }

        baseUri = new UriBuilder(uri) { Scheme = uri.Scheme == "tcp" ? "http" : uri.Scheme, Path = "/" }.Uri;
        return new HttpClient();
    }
}
