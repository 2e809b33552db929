using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Host.Azurite;
using Grainetes.Tests.EndToEnd;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Grainetes.Tests.Faults;

/// <summary>
/// The Docker daemon restarted under running pods: a host whose runtime is a private dockerd runs a Deployment;
/// the daemon is stopped (its containers stop with it, live restore being off) and started again. The pods must
/// come back Ready with exactly one running container per pod container and no extra pods.
/// </summary>
public sealed class DockerRestartTests(ITestOutputHelper output)
{
    private const string Image = "grainetes/busybox:test";
    private const int Replicas = 2;

    [SkippableFact]
    public async Task PodsRecoverWithoutDuplicatesWhenTheDockerDaemonRestarts()
    {
        var problem = PrivateDockerDaemon.Problem;
        Skip.If(problem is not null, problem);
        var root = Path.Combine(Path.GetTempPath(), "grainetes-dockerrestart-" + Guid.NewGuid().ToString("N")[..8]);
        await using var docker = await PrivateDockerDaemon.StartAsync();
        await docker.ImportBusyboxAsync(Image);
        var installation = AzuriteInstallation.Locate(RepositoryPaths.Root);
        var settings = await installation.LoadSettingsAsync();
        await using var azurite = await AzuriteProcess.StartAsync(installation, settings with { TablePort = 0 }, Path.Combine(root, "azurite"), NullLogger.Instance);
        var host = await ClusterProcess.StartWithEnvironmentAsync(
            Path.Combine(root, "home"), FreePort.Next(), azurite.ConnectionString,
            new Dictionary<string, string> { ["DockerRuntime__Endpoint"] = docker.Endpoint },
            "--runtime", "docker");
        try
        {
            using var http = new HttpClient { BaseAddress = host.ApiAddress, Timeout = TimeSpan.FromSeconds(60) };
            var deployment = new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "Deployment",
                ["metadata"] = new JsonObject { ["name"] = "sleeper" },
                ["spec"] = new JsonObject
                {
                    ["replicas"] = Replicas,
                    ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "sleeper" } },
                    ["template"] = new JsonObject
                    {
                        ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "sleeper" } },
                        ["spec"] = new JsonObject
                        {
                            ["terminationGracePeriodSeconds"] = 1,
                            ["containers"] = new JsonArray(new JsonObject
                            {
                                ["name"] = "app",
                                ["image"] = Image,
                                ["imagePullPolicy"] = "Never",
                                ["command"] = new JsonArray("/bin/busybox", "sleep", "3600"),
                            }),
                        },
                    },
                },
            };
            var created = await http.PostAsync("/apis/apps/v1/namespaces/default/deployments", new StringContent(deployment.ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

            var before = await Poll.UntilAsync(() => StateAsync(http, docker), s => s.Healthy, TimeSpan.FromSeconds(120), "the deployment's pods Ready in Docker");
            output.WriteLine("before: " + before);

            await docker.RestartAsync();
            var right = await ContainersAsync(docker);
            output.WriteLine($"after the restart: {right.Count(c => c.Running)} of {right.Count} containers running");
            // The restart stopped every container (no live restore). By the time they are listed the kubelet may already
            // have started a sandbox again (a CI run saw one), but an app container only follows its running sandbox.
            Assert.DoesNotContain(right, c => c.Running && !c.Sandbox);

            try
            {
                var after = await Poll.UntilAsync(() => StateAsync(http, docker), s => s.Healthy, TimeSpan.FromSeconds(150), "the pods Ready again with one running container each");
                output.WriteLine("after: " + after);
            }
            catch (TimeoutException e)
            {
                var hostErrors = host.Output.Split('\n').Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("Exception", StringComparison.Ordinal)).TakeLast(30);
                Assert.Fail(e.Message + "\nhost:\n" + string.Join("\n", hostErrors));
            }
        }
        finally
        {
            await host.DisposeAsync();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind harms nothing.
            }
        }
    }

    /// <summary>The deployment's pods from the API and the managed containers from the daemon, and whether they agree.</summary>
    private static async Task<RecoveryState> StateAsync(HttpClient http, PrivateDockerDaemon docker)
    {
        var pods = JsonNode.Parse(await http.GetStringAsync("/api/v1/namespaces/default/pods?labelSelector=app%3Dsleeper"))!["items"]!.AsArray()
            .Select(p => p!).ToList();
        List<ManagedContainer> containers;
        try
        {
            containers = await ContainersAsync(docker);
        }
        catch (InvalidOperationException)
        {
            return new RecoveryState(pods.Count, 0, "the daemon does not answer", false);
        }

        var ready = pods.Count(p => (string?)p["status"]?["phase"] == "Running"
            && (p["status"]?["conditions"] as JsonArray ?? []).Any(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "True"));
        var uids = pods.Select(p => (string)p["metadata"]!["uid"]!).ToHashSet();
        var running = containers.Where(c => c.Running).ToList();
        var perPod = uids.Select(uid => running.Count(c => c.PodUid == uid && !c.Sandbox && c.Name == "app")).ToList();
        var sandboxes = uids.Select(uid => running.Count(c => c.PodUid == uid && c.Sandbox)).ToList();
        var strays = running.Count(c => !uids.Contains(c.PodUid));
        var healthy = pods.Count == Replicas && ready == Replicas && perPod.All(n => n == 1) && sandboxes.All(n => n == 1) && strays == 0;
        return new RecoveryState(pods.Count, ready, $"app containers per pod [{string.Join(",", perPod)}], sandboxes [{string.Join(",", sandboxes)}], strays {strays}", healthy);
    }

    private static async Task<List<ManagedContainer>> ContainersAsync(PrivateDockerDaemon docker)
    {
        var lines = await docker.DockerAsync("ps", "-a", "--filter", "label=io.grainetes.managed", "--format",
            "{{.State}}|{{.Label \"io.grainetes.pod.uid\"}}|{{.Label \"io.grainetes.container.name\"}}|{{.Label \"io.grainetes.sandbox\"}}");
        return lines.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('|'))
            .Select(f => new ManagedContainer(f[0] == "running", f[1], f[2], f[3] is "true" or "True" or "1"))
            .ToList();
    }

    private sealed record ManagedContainer(bool Running, string PodUid, string Name, bool Sandbox);

    private sealed record RecoveryState(int Pods, int Ready, string Containers, bool Healthy);
}
