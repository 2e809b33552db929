using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Streaming;
using Grainetes.ApiServer.Streaming;
using Grainetes.Machinery.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Grainetes.Tests.Streaming;

public sealed class RemoteCommandProtocolTests
{
    private static readonly JsonObject TwoContainerPod = JsonNode.Parse("""
        {"metadata": {"name": "p", "namespace": "ns"},
         "spec": {"containers": [{"name": "a"}, {"name": "b"}], "initContainers": [{"name": "init"}]}}
        """)!.AsObject();

    [Fact]
    public void V5IsChosenOverV4AndNeitherMeansNoProtocol()
    {
        Assert.Equal("v5.channel.k8s.io", RemoteCommandChannels.Negotiate(["v4.channel.k8s.io", "v5.channel.k8s.io"]));
        Assert.Equal("v4.channel.k8s.io", RemoteCommandChannels.Negotiate(["v4.channel.k8s.io", "v3.channel.k8s.io"]));
        Assert.Null(RemoteCommandChannels.Negotiate(["channel.k8s.io", "base64.channel.k8s.io"]));
    }

    [Fact]
    public void ResizeMessagesParseAndTheLastOfSeveralCounts()
    {
        Assert.Equal(new TerminalSize(80, 24), RemoteCommandChannels.ParseResize("""{"Width":80,"Height":24}"""u8));
        Assert.Equal(new TerminalSize(120, 40), RemoteCommandChannels.ParseResize("""{"Width":80,"Height":24}{"Width":120,"Height":40}"""u8));
        Assert.Null(RemoteCommandChannels.ParseResize("not json"u8));
        Assert.Equal(new byte[] { 2, 0x65 }, RemoteCommandChannels.Frame(RemoteCommandChannels.Stderr, "e"u8));
    }

    [Fact]
    public void ANonZeroExitIsTheStatusKubectlTurnsIntoItsExitCode()
    {
        var status = RemoteCommandStatus.ForExit(3, ["sh", "-c", "exit 3"]);
        Assert.Equal("Failure", (string?)status["status"]);
        Assert.Equal("NonZeroExitCode", (string?)status["reason"]);
        var cause = status["details"]!["causes"]![0]!;
        Assert.Equal("ExitCode", (string?)cause["reason"]);
        Assert.Equal("3", (string?)cause["message"]);
        Assert.Equal("command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3", (string?)status["message"]);

        Assert.Equal("""{"metadata":{},"status":"Success"}""", RemoteCommandStatus.ForExit(0, ["true"]).ToJsonString());
        Assert.Equal("Success", (string?)RemoteCommandStatus.ForExit(null, [])["status"]);
    }

    [Fact]
    public void TheQueryIsReadAsKubernetesReadsIt()
    {
        var request = RemoteCommandRequest.Parse(Query(("container", "b"), ("command", "sh"), ("command", "-c"), ("command", "echo hi"), ("stdin", "true"), ("stdout", "1"), ("stderr", "true"), ("tty", "true")), TwoContainerPod, exec: true);
        Assert.Equal(["sh", "-c", "echo hi"], request.Command);
        Assert.Equal(("ns", "p", "b"), (request.Namespace, request.Pod, request.Container));
        Assert.True(request.Stdin && request.Stdout && request.Tty);
        Assert.False(request.Stderr);

        var attach = RemoteCommandRequest.Parse(Query(("container", "init"), ("stdout", "true"), ("command", "ignored")), TwoContainerPod, exec: false);
        Assert.Empty(attach.Command);
    }

    [Theory]
    [InlineData("", "sh", "true", "a container name must be specified for pod p, choose one of: [a b]")]
    [InlineData("c", "sh", "true", "container c is not valid for pod p")]
    [InlineData("a", "", "true", "you must specify at least 1 command")]
    [InlineData("a", "sh", "false", "you must specify at least one of stdin, stdout, stderr")]
    public void MistakesAreBadRequests(string container, string command, string stdout, string message)
    {
        var query = new List<(string, string)> { ("stdout", stdout) };
        if (container.Length > 0)
        {
            query.Add(("container", container));
        }

        if (command.Length > 0)
        {
            query.Add(("command", command));
        }

        var error = Assert.Throws<ApiException>(() => RemoteCommandRequest.Parse(Query([.. query]), TwoContainerPod, exec: true));
        Assert.Equal(400, error.Code);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void TheWebSocketAcceptKeyIsRfc6455s()
    {
        // The example handshake of RFC 6455, section 1.3.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", HttpUpgrade.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    private static QueryCollection Query(params (string Key, string Value)[] pairs) =>
        new(pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => new StringValues(g.Select(p => p.Value).ToArray())));
}
