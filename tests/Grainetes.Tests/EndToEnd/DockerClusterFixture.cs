using System.Diagnostics;

namespace Grainetes.Tests.EndToEnd;

/// <summary>A cluster whose node runs pods in Docker, when this machine has a Docker daemon (test.sh starts one as root).</summary>
public sealed class DockerClusterFixture : IAsyncLifetime
{
    private readonly ClusterFixture cluster = new() { Runtime = "docker" };

    public bool Available { get; private set; }

    public string? Unavailable { get; private set; }

    public ClusterFixture Cluster => Available ? cluster : throw new InvalidOperationException(Unavailable);

    public async Task InitializeAsync()
    {
        Unavailable = await DockerProblemAsync();
        Available = Unavailable is null;
        if (Available)
        {
            await cluster.InitializeAsync();
        }
    }

    public Task DisposeAsync() => Available ? cluster.DisposeAsync() : Task.CompletedTask;

    private static async Task<string?> DockerProblemAsync()
    {
        try
        {
            using var docker = Process.Start(new ProcessStartInfo("docker", "image inspect grainetes/busybox:test")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await docker.WaitForExitAsync(cts.Token);
            return docker.ExitCode == 0 ? null : "no Docker daemon with the test image grainetes/busybox:test (./test.sh as root installs and starts one)";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            return "no docker command or daemon on this machine: " + ex.Message;
        }
    }
}
