using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Grainetes.Tests.Faults;

/// <summary>
/// A dockerd of the test's own (socket, data root, exec root, pid file and a Linux bridge it creates), so it can be
/// restarted without touching the machine's shared daemon. Live restore is off: a restart stops its containers.
/// Needs root and dockerd; <see cref="Problem"/> says why not.
/// </summary>
internal sealed class PrivateDockerDaemon : IAsyncDisposable
{
    private readonly string root = Path.Combine("/tmp", "gfd-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string bridge = "gfd" + Guid.NewGuid().ToString("N")[..8];
    private Process? daemon;

    public string Endpoint => $"unix://{root}/docker.sock";

    public static string? Problem =>
        !File.Exists("/usr/sbin/dockerd") && !File.Exists("/usr/bin/dockerd") ? "dockerd is not installed"
        : GetUid() != 0 ? "a private dockerd needs root"
        : null;

    public static async Task<PrivateDockerDaemon> StartAsync()
    {
        var docker = new PrivateDockerDaemon();
        Directory.CreateDirectory(docker.root);
        await docker.CreateBridgeAsync();
        await docker.StartDaemonAsync();
        return docker;
    }

    /// <summary>Imports a root file system holding only a static busybox as <paramref name="image"/> (no registry is reachable).</summary>
    public async Task ImportBusyboxAsync(string image)
    {
        var rootfs = Path.Combine(root, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"), overwrite: true);
        await RunAsync("bash", "-c", $"tar -C {rootfs} -c . | docker -H {Endpoint} import --change 'CMD [\"/bin/sh\"]' - {image}");
    }

    /// <summary>Stops the daemon (SIGTERM; its containers stop with it) and starts it again on the same directories.</summary>
    public async Task RestartAsync()
    {
        await StopDaemonAsync();
        await StartDaemonAsync();
    }

    public Task<string> DockerAsync(params string[] arguments) => RunAsync("docker", ["-H", Endpoint, .. arguments]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (daemon is not null)
            {
                var ids = (await DockerAsync("ps", "-aq")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (ids.Length > 0)
                {
                    await DockerAsync(["rm", "-f", .. ids]);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The daemon is gone already; stopping it below is all that is left.
        }

        await StopDaemonAsync();
        await RunAsync("ip", "link", "del", bridge);
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Overlay leftovers of a daemon that did not stop cleanly: harmless in /tmp.
        }
    }

    private async Task CreateBridgeAsync()
    {
        // A /24 in 10.231.0.0/16 that no route on this machine covers yet.
        var routes = await RunAsync("ip", "route");
        var octet = Enumerable.Range(0, 64).Select(_ => Random.Shared.Next(1, 255)).First(o => !routes.Contains($"10.231.{o}.", StringComparison.Ordinal));
        await RunAsync("ip", "link", "add", bridge, "type", "bridge");
        await RunAsync("ip", "addr", "add", $"10.231.{octet.ToString(CultureInfo.InvariantCulture)}.1/24", "dev", bridge);
        await RunAsync("ip", "link", "set", bridge, "up");
    }

    private async Task StartDaemonAsync()
    {
        var info = new ProcessStartInfo("dockerd")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "-H", Endpoint, "--data-root", Path.Combine(root, "data"), "--exec-root", Path.Combine(root, "exec"),
            "--pidfile", Path.Combine(root, "docker.pid"), "--bridge", bridge,
            "--iptables=false", "--ip6tables=false", "--ip-masq=false",
        })
        {
            info.ArgumentList.Add(arg);
        }

        daemon = Process.Start(info)!;
        daemon.OutputDataReceived += (_, _) => { };
        daemon.ErrorDataReceived += (_, _) => { };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                await DockerAsync("version");
                return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline && !daemon.HasExited)
            {
                await Task.Delay(500);
            }
        }
    }

    private async Task StopDaemonAsync()
    {
        if (daemon is null)
        {
            return;
        }

        if (!daemon.HasExited)
        {
            _ = Kill(daemon.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await daemon.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                daemon.Kill();
                await daemon.WaitForExitAsync();
            }
        }

        daemon.Dispose();
        daemon = null;
    }

    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}");
        }

        return await stdout;
    }

    [DllImport("libc", EntryPoint = "getuid")]
    private static extern uint GetUid();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
