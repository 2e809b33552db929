using System.Buffers;
using System.Net.Sockets;

namespace Grainetes.NodeAgent.Proxy;

/// <summary>Copies bytes both ways between two connected sockets until both sides have finished, passing half-closes on.</summary>
public static class SocketPump
{
    private const int BufferSize = 64 * 1024;

    public static async Task RunAsync(Socket a, Socket b, CancellationToken cancellationToken)
    {
        using (a)
        using (b)
        {
            var forward = CopyAsync(a, b, cancellationToken);
            var backward = CopyAsync(b, a, cancellationToken);
            var first = await Task.WhenAny(forward, backward).ConfigureAwait(false);
            if (!await first.ConfigureAwait(false))
            {
                // One side broke (reset, or the silo is stopping): the other cannot finish cleanly either.
                Abort(a);
                Abort(b);
            }

            await Task.WhenAll(forward, backward).ConfigureAwait(false);
        }
    }

    /// <summary>Closes with a reset rather than a FIN: a refused connection must fail at once, not look like an empty answer.</summary>
    public static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>True when the source ended cleanly (and the end was passed on), false on an error.</summary>
    private static async Task<bool> CopyAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return true;
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
