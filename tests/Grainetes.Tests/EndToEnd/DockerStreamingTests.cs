namespace Grainetes.Tests.EndToEnd;

/// <summary>exec, attach, cp and port-forward with real kubectl against pods in Docker containers.</summary>
public sealed class DockerStreamingTests : IClassFixture<DockerClusterFixture>
{
    private readonly DockerClusterFixture docker;

    public DockerStreamingTests(DockerClusterFixture docker)
    {
        this.docker = docker;
        Checks = docker.Available ? new StreamingChecks(docker.Cluster, "/tmp/", WebPod) : null;
    }

    private StreamingChecks? Checks { get; }

    [SkippableFact]
    public async Task ExecRunsCommandsWithStdinTerminalAndExitCodes()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        await Checks!.InNamespaceWithBoxAsync(async ns =>
        {
            await Checks.ExecReportsOutputStreamsAndTheExitCodeAsync(ns);
            await Checks.ExecPipesStdinUntilItsEndAsync(ns);
            await Checks.ExecOverSpdyAsync(ns);
            await Checks.ExecWithATerminalAsync(ns);
        });
    }

    [SkippableFact]
    public async Task AttachAndCp()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        await Checks!.InNamespaceWithBoxAsync(async ns =>
        {
            await Checks.AttachSeesOutputAndFeedsStdinAsync(ns);
            await Checks.CpCopiesBothWaysAsync(ns);
        });
    }

    [SkippableFact]
    public async Task PortForwardToThePodsAddress()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        await Checks!.InNamespaceWithBoxAsync(async ns =>
        {
            await Checks.PortForwardReachesThePodAsync(ns, websockets: true);
            await Checks.PortForwardReachesThePodAsync(ns, websockets: false);
        });
    }

    /// <summary>busybox httpd in the pod's own network namespace; nothing is published on the host.</summary>
    private (string Yaml, int Port, string Body) WebPod() => ("""
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: main
            image: grainetes/busybox:test
            command: [sh, -c, 'mkdir -p /www && echo hello from docker > /www/index.html && exec httpd -f -p 8080 -h /www']
        """, 8080, "hello from docker");
}
