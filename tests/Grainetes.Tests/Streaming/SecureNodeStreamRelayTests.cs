using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.ApiServer.Http;
using Grainetes.ApiServer.Security;
using Grainetes.ApiServer.Streaming;
using Grainetes.Host.Security;
using Grainetes.Machinery.Security;
using Grainetes.Tests.EndToEnd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Grainetes.Tests.Streaming.RelayTestApps;

namespace Grainetes.Tests.Streaming;

/// <summary>
/// The relay hop of a secured cluster: a "front" app relays as the user its test header names to a "node" app that
/// serves TLS with a certificate of the cluster CA and runs the real client certificate authenticator, impersonation
/// and RBAC (the bootstrap policy, plus <c>edit</c> for alice in <c>ns</c>).
/// </summary>
public sealed class SecureNodeStreamRelayTests : IAsyncLifetime
{
    private const string UserHeader = "X-Test-User";
    private const string RelayHeader = "X-Test-Relay";

    private readonly int nodePort = FreePort.Next();
    private readonly int frontPort = FreePort.Next();
    private readonly DirectoryInfo home = Directory.CreateTempSubdirectory("grainetes-relay-");
    private readonly DirectoryInfo otherHome = Directory.CreateTempSubdirectory("grainetes-relay-other-");
    private readonly Dictionary<string, NodeStreamRelay> relays = [];
    private WebApplication? node;
    private WebApplication? front;

    public async Task InitializeAsync()
    {
        var pki = ClusterPki.LoadOrCreate(home.FullName, ["localhost"], [IPAddress.Loopback], TimeProvider.System);
        var otherPki = ClusterPki.LoadOrCreate(otherHome.FullName, ["localhost"], [IPAddress.Loopback], TimeProvider.System);
        var nodeCertificate = Certificate(pki, NodeRelayCredentials.NodeUser("front-node"), BootstrapPolicy.NodesGroup);
        relays["node"] = Relay(new NodeRelayCredentials(pki.LoadCaCertificate(), nodeCertificate));
        relays["wrong-ca"] = Relay(new NodeRelayCredentials(otherPki.LoadCaCertificate(), nodeCertificate));
        relays["unprivileged"] = Relay(new NodeRelayCredentials(pki.LoadCaCertificate(), Certificate(pki, "mallory", "developers")));

        node = NodeApp(pki);
        front = App(frontPort);
        front.UseMiddleware<ApiErrorMiddleware>();
        front.Map("/{**path}", (HttpContext context) =>
        {
            context.Features.Set(new RequestUser(UserInfo.Authenticated(context.Request.Headers[UserHeader].ToString(), null, ["team-a"])));
            var relay = relays[context.Request.Headers.TryGetValue(RelayHeader, out var which) ? which.ToString() : "node"];
            return relay.RelayAsync(context, new Uri($"http://127.0.0.1:{nodePort}"), "front-node", context.RequestAborted);
        });
        await node.StartAsync();
        await front.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var relay in relays.Values)
        {
            relay.Dispose();
        }

        foreach (var app in new[] { front, node })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        home.Delete(recursive: true);
        otherHome.Delete(recursive: true);
    }

    [Fact]
    public async Task TheNodeSeesTheOriginalUserThroughTheTlsRelayNotTheCallersCredential()
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(StreamProtocols.ChannelV5);
        socket.Options.SetRequestHeader(UserHeader, "alice");
        socket.Options.SetRequestHeader("Authorization", "Bearer the-callers-own-token");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{frontPort}/api/v1/namespaces/ns/pods/p/exec?command=ls&stdout=true"), CancellationToken.None);

        Assert.Equal(StreamProtocols.ChannelV5, socket.SubProtocol);
        Assert.Equal("user=alice groups=team-a,system:authenticated authorization=0 relayed-by=front-node", await ReceiveTextAsync(socket));
    }

    [Fact]
    public async Task AUserWithoutPodsExecIsRefusedByTheNodeEvenThroughTheRelay()
    {
        var response = await GetExecAsync("bob", "node");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("User \"bob\" cannot create resource \"pods/exec\"", await MessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARelayWhoseUserMayNotImpersonateIsRefused()
    {
        var response = await GetExecAsync("alice", "unprivileged");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("User \"mallory\" cannot impersonate", await MessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANodeWhoseCertificateIsNotFromTheTrustedCaIsRefused()
    {
        var response = await GetExecAsync("alice", "wrong-ca");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("error dialing the pod's node", await MessageAsync(response), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> GetExecAsync(string user, string relay)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{frontPort}/api/v1/namespaces/ns/pods/p/exec?command=ls&stdout=true");
        request.Headers.Add(UserHeader, user);
        request.Headers.Add(RelayHeader, relay);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>The message of the <c>Status</c> the response carries.</summary>
    private static async Task<string> MessageAsync(HttpResponseMessage response)
    {
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Status", (string?)status["kind"]);
        return (string?)status["message"] ?? "";
    }

    private WebApplication NodeApp(ClusterPki pki)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, nodePort, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = pki.LoadServingCertificate(),
            ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        })));
        builder.Services.Configure<ApiSecurityOptions>(o => o.ClientCaFile = pki.CaCertificateFile);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IRequestAuthenticator, ClientCertificateAuthenticator>();
        var policy = new RbacPolicySource(null!, NullLogger<RbacPolicySource>.Instance);
        policy.Serve(new RbacPolicy([], BootstrapPolicy.ClusterRoles(), [AliceEditsNs()], BootstrapPolicy.ClusterRoleBindings()));
        builder.Services.AddSingleton(policy);
        builder.Services.AddSingleton<ApiAuthorizer>();
        var app = builder.Build();
        app.UseMiddleware<ApiErrorMiddleware>();
        app.UseMiddleware<AuthenticationMiddleware>();
        app.Map("/api/v1/namespaces/ns/pods/p/exec", async (HttpContext context, ApiAuthorizer authorizer) =>
        {
            var user = RequestUser.Of(context);
            var attributes = new RequestAttributes { User = user, Verb = "create", Resource = "pods", Subresource = "exec", Namespace = "ns", Name = "p" };
            if (!(await authorizer.DecideAsync(attributes)).Allowed)
            {
                throw ApiAuthorizer.Forbidden(attributes);
            }

            var seen = $"user={user.Name} groups={string.Join(",", user.Groups)} authorization={context.Request.Headers.Authorization.Count} relayed-by={context.Request.Headers[StreamProtocols.RelayedHeader]}";
            using var socket = await HttpUpgrade.AcceptWebSocketAsync(context, RemoteCommandChannels.Negotiate(HttpUpgrade.OfferedSubprotocols(context.Request)));
            await socket.SendAsync(Encoding.UTF8.GetBytes(seen), WebSocketMessageType.Binary, true, CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        });
        return app;
    }

    private static JsonObject AliceEditsNs() => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "RoleBinding",
        ["metadata"] = new JsonObject { ["name"] = "alice-edit", ["namespace"] = "ns" },
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "edit" },
        ["subjects"] = new JsonArray(new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "User", ["name"] = "alice" }),
    };

    private static X509Certificate2 Certificate(ClusterPki pki, string user, string group)
    {
        var (certificatePem, keyPem) = pki.IssueClientCertificate(user, [group], TimeProvider.System);
        return X509Certificate2.CreateFromPem(certificatePem, keyPem);
    }

    private static NodeStreamRelay Relay(NodeRelayCredentials credentials) => new(NullLogger<NodeStreamRelay>.Instance, credentials);
}
