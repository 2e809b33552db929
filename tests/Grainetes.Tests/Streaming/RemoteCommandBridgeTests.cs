using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Streaming;
using Grainetes.ApiServer.Streaming;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.Streaming;

public sealed class RemoteCommandBridgeTests
{
    [Fact]
    public async Task InputResizeAndCloseReachTheSessionAndOutputAndExitCodeComeBack()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        using var server = WebSocket.CreateFromStream(pair.Server, new WebSocketCreationOptions { IsServer = true });
        using var client = WebSocket.CreateFromStream(pair.Client, new WebSocketCreationOptions { IsServer = false });
        var session = new ScriptedSession();
        var bridge = new RemoteCommandBridge(NullLogger<RemoteCommandBridge>.Instance);
        var run = bridge.RunAsync(server, StreamProtocols.ChannelV5, session, ["sh", "-c", "exit 3"], TimeSpan.FromSeconds(10), CancellationToken.None);

        await SendAsync(client, 0, "hello\n");
        await SendAsync(client, 4, """{"Width":100,"Height":30}""");
        await client.SendAsync(new byte[] { 255, 0 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal("hello\n", Encoding.UTF8.GetString(await session.Stdin.Reader.ReadAsync()));
        Assert.Equal(new TerminalSize(100, 30), await session.Resizes.Reader.ReadAsync());
        await session.Stdin.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(10));

        session.Write(ContainerOutput.StdoutStream, "out");
        session.Write(ContainerOutput.StderrStream, "err");
        session.Exit(3);

        var messages = await ReceiveUntilCloseAsync(client);
        Assert.Equal([(1, "out"), (2, "err")], messages.Where(m => m.Channel != 3));
        var status = JsonNode.Parse(messages.Single(m => m.Channel == 3).Text)!;
        Assert.Equal("NonZeroExitCode", (string?)status["reason"]);
        Assert.Equal("3", (string?)status["details"]!["causes"]![0]!["message"]);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task V4HasNoCloseMessageAndASuccessfulCommandEndsWithSuccess()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        using var server = WebSocket.CreateFromStream(pair.Server, new WebSocketCreationOptions { IsServer = true });
        using var client = WebSocket.CreateFromStream(pair.Client, new WebSocketCreationOptions { IsServer = false });
        var session = new ScriptedSession();
        var run = new RemoteCommandBridge(NullLogger<RemoteCommandBridge>.Instance)
            .RunAsync(server, StreamProtocols.ChannelV4, session, ["true"], TimeSpan.FromSeconds(10), CancellationToken.None);

        await client.SendAsync(new byte[] { 255, 0 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        await SendAsync(client, 0, "still open");
        Assert.Equal("still open", Encoding.UTF8.GetString(await session.Stdin.Reader.ReadAsync()));

        session.Exit(0);
        var messages = await ReceiveUntilCloseAsync(client);
        Assert.Equal("""{"metadata":{},"status":"Success"}""", messages.Single().Text);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AClientThatLeavesEndsTheBridgeWithoutWaitingForTheCommand()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        using var server = WebSocket.CreateFromStream(pair.Server, new WebSocketCreationOptions { IsServer = true });
        var session = new ScriptedSession();
        var run = new RemoteCommandBridge(NullLogger<RemoteCommandBridge>.Instance)
            .RunAsync(server, StreamProtocols.ChannelV5, session, ["sleep", "1000"], TimeSpan.FromSeconds(10), CancellationToken.None);

        pair.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static Task SendAsync(WebSocket socket, byte channel, string text) =>
        socket.SendAsync(RemoteCommandChannels.Frame(channel, Encoding.UTF8.GetBytes(text)), WebSocketMessageType.Binary, true, CancellationToken.None);

    private static async Task<List<(int Channel, string Text)>> ReceiveUntilCloseAsync(WebSocket socket)
    {
        var messages = new List<(int, string)>();
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return messages;
            }

            Assert.True(result.EndOfMessage);
            messages.Add((buffer[0], Encoding.UTF8.GetString(buffer, 1, result.Count - 1)));
        }
    }
}
