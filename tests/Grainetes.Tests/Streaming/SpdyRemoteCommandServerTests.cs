using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Streaming;
using Grainetes.ApiServer.Streaming;
using Grainetes.ApiServer.Streaming.Spdy;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.Streaming;

public sealed class SpdyRemoteCommandServerTests
{
    [Fact]
    public async Task ChannelsAreStreamsAndTheStatusEndsTheErrorStream()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        var session = new ScriptedSession();
        var request = new ContainerStreamRequest { Namespace = "ns", Pod = "p", Container = "c", Command = ["cat"], Stdin = true, Stdout = true, Stderr = true, Tty = true };
        var run = new SpdyRemoteCommandServer(NullLogger.Instance).RunAsync(pair.Server, request, session, TimeSpan.FromSeconds(10), CancellationToken.None);
        await using var client = new SpdyTestClient(pair.Client);

        // kubectl's order: error first (closed from its side), then the data channels.
        uint id = 1;
        foreach (var type in new[] { "error", "stdin", "stdout", "stderr", "resize" })
        {
            await client.SendAsync(new SpdySynStreamFrame(id, 0, 0, type == "error", false, new Dictionary<string, string> { ["streamtype"] = type }));
            id += 2;
        }

        await client.SendAsync(new SpdyDataFrame(9, false, """{"Width":90,"Height":20}"""u8.ToArray()));
        await client.SendAsync(new SpdyDataFrame(3, false, Encoding.ASCII.GetBytes("typed")));
        await client.SendAsync(new SpdyDataFrame(3, true, ReadOnlyMemory<byte>.Empty));
        Assert.Equal("typed", Encoding.ASCII.GetString(await session.Stdin.Reader.ReadAsync()));
        await session.Stdin.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new TerminalSize(90, 20), await session.Resizes.Reader.ReadAsync());

        session.Write(ContainerOutput.StdoutStream, "out");
        session.Write(ContainerOutput.StderrStream, "err");
        session.Exit(2);

        Assert.Equal("out", Encoding.ASCII.GetString(await client.ReadToEndAsync(5)));
        Assert.Equal("err", Encoding.ASCII.GetString(await client.ReadToEndAsync(7)));
        var status = JsonNode.Parse(await client.ReadToEndAsync(1))!;
        Assert.Equal("NonZeroExitCode", (string?)status["reason"]);
        Assert.Equal("2", (string?)status["details"]!["causes"]![0]!["message"]);

        pair.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AClientThatNeverOpensItsStreamsIsLetGo()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        var session = new ScriptedSession();
        var request = new ContainerStreamRequest { Namespace = "ns", Pod = "p", Container = "c", Command = ["true"], Stdout = true };
        var server = new SpdyRemoteCommandServer(NullLogger.Instance) { StreamTimeout = TimeSpan.FromMilliseconds(200) };
        var run = server.RunAsync(pair.Server, request, session, TimeSpan.FromSeconds(10), CancellationToken.None);
        await using var client = new SpdyTestClient(pair.Client);

        await client.SendAsync(new SpdySynStreamFrame(1, 0, 0, true, false, new Dictionary<string, string> { ["streamtype"] = "error" }));
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        await client.WaitForAsync(f => f.OfType<SpdyGoAwayFrame>().Any(), "GOAWAY");
    }
}
