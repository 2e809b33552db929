using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Grainetes.Tests.EndToEnd;

/// <summary>The real host (<c>grainetes up</c>) as a child process, on free loopback ports.</summary>
internal sealed class ClusterProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Tests read the host's output, not its spans: the console exporter stays off unless a test asks for it.</summary>
    private static readonly string[] QuietTelemetry = ["--otel-console", "false"];

    private ClusterProcess(string home, int apiPort, string storage, bool secure, string[] extraArguments, IReadOnlyDictionary<string, string>? environment = null)
        : this("up", home, apiPort, secure, new[]
        {
            "--storage", storage, "--silo-port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        }.Concat(extraArguments).ToArray(), environment)
    {
    }

    private ClusterProcess(string verb, string home, int apiPort, bool secure, string[] extraArguments, IReadOnlyDictionary<string, string>? environment)
    {
        Home = home;
        ApiPort = apiPort;
        Secure = secure;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            RepositoryPaths.HostDll, verb, "--home", home, "--api-port", apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }.Concat(secure ? [] : ["--insecure-http"]).Concat(extraArguments).Concat(extraArguments.Contains("--otel-console") ? [] : QuietTelemetry))
        {
            info.ArgumentList.Add(arg);
        }

        // Its own LoadBalancer addresses: hosts of parallel test runs must not ask for the same address and port.
        info.Environment["Cloud__Local__AddressRange"] = Cloud.LoopbackRanges.Next();

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the host exited before it was ready:\n" + Output));
    }

    public string Home { get; }

    /// <summary>Whether the host serves HTTPS with authentication (otherwise plain HTTP, every client the admin).</summary>
    public bool Secure { get; }

    public int ApiPort { get; }

    public int ProcessId => process.Id;

    public string Kubeconfig => Path.Combine(Home, "kubeconfig");

    public Uri ApiAddress => new($"{(Secure ? "https" : "http")}://127.0.0.1:{ApiPort}");

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>A host on plain HTTP (<c>--insecure-http</c>): what most tests need, since they test other things than security.</summary>
    public static Task<ClusterProcess> StartAsync(string home, int apiPort, string storage, params string[] extraArguments) =>
        StartAsync(home, apiPort, storage, secure: false, extraArguments);

    /// <summary>A host as users run it: HTTPS, a cluster CA, authentication and RBAC.</summary>
    public static Task<ClusterProcess> StartSecureAsync(string home, int apiPort, string storage, params string[] extraArguments) =>
        StartAsync(home, apiPort, storage, secure: true, extraArguments);

    /// <summary>A host on plain HTTP with more configuration in its environment (<c>Section__Key</c> variables).</summary>
    public static Task<ClusterProcess> StartWithEnvironmentAsync(string home, int apiPort, string storage, IReadOnlyDictionary<string, string> environment, params string[] extraArguments) =>
        StartAsync(home, apiPort, storage, secure: false, extraArguments, environment);

    private static async Task<ClusterProcess> StartAsync(string home, int apiPort, string storage, bool secure, string[] extraArguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var cluster = new ClusterProcess(home, apiPort, storage, secure, extraArguments, environment);
        cluster.process.Start();
        cluster.process.BeginOutputReadLine();
        cluster.process.BeginErrorReadLine();
        await cluster.ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        return cluster;
    }

    /// <summary>
    /// One host of a several-host cluster as users run it (HTTPS, authentication): <c>up</c> or <c>join</c> with every
    /// other flag (storage, ports, secret) given, and extra environment (Orleans' membership timings).
    /// </summary>
    public static async Task<ClusterProcess> StartMemberAsync(string verb, string home, int apiPort, string[] arguments, IReadOnlyDictionary<string, string> environment)
    {
        var cluster = new ClusterProcess(verb, home, apiPort, secure: true, arguments, environment);
        cluster.process.Start();
        cluster.process.BeginOutputReadLine();
        cluster.process.BeginErrorReadLine();
        await cluster.ready.Task.WaitAsync(TimeSpan.FromSeconds(120));
        return cluster;
    }

    /// <summary>Kills the host outright (SIGKILL), as a crash: nothing of it runs its shutdown.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            _ = Kill(process.Id, 9);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Stops the host as Ctrl-C would (SIGINT), and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (process.HasExited)
        {
            return;
        }

        _ = Kill(process.Id, 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> (2 SIGINT, 15 SIGTERM) and waits up to <paramref name="deadline"/> for the host
    /// to exit: its exit code, or null when it did not exit in time (it is then killed).
    /// </summary>
    public async Task<int?> SignalAndWaitAsync(int signal, TimeSpan deadline)
    {
        if (!process.HasExited)
        {
            _ = Kill(process.Id, signal);
        }

        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }

        if (line.Contains("ready", StringComparison.Ordinal) && line.Contains("kubeconfig", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
