using System.Diagnostics;
using System.Globalization;

namespace Grainetes.Benchmarks;

/// <summary>The Release host (<c>grainetes up</c>) as a child process on free loopback ports, against a given storage.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private const int TailLines = 60;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(string hostDll, string home, int apiPort, string storage, IReadOnlyList<string> extraArgs)
        : this(hostDll, "up", home, apiPort, new[]
        {
            "--storage", storage,
            "--silo-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--gateway-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
        }.Concat(extraArgs).ToArray(), null)
    {
    }

    private HostProcess(string hostDll, string verb, string home, int apiPort, IReadOnlyList<string> extraArgs, IReadOnlyDictionary<string, string>? environment)
    {
        ApiPort = apiPort;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // More specific categories than the host's own "Microsoft"/"Orleans" filters, so a shutdown the harness did
        // not ask for says who started it (host lifetime, or Orleans declaring the silo dead).
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        info.Environment["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information";
        info.Environment["Logging__LogLevel__Orleans.Runtime.Silo"] = "Information";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        // Figures measure the silo, not a terminal: the console exporter stays off unless a run asks for it.
        foreach (var arg in new[]
        {
            hostDll, verb, "--insecure-http", "--home", home,
            "--api-port", apiPort.ToString(CultureInfo.InvariantCulture),
        }.Concat(extraArgs).Concat(extraArgs.Contains("--otel-console") ? [] : ["--otel-console", "false"]))
        {
            info.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) =>
        {
            // An exit mid-run otherwise shows up only as "connection refused" on the next request.
            OnLine($"[harness] host exited with code {_process.ExitCode} at {DateTime.Now:HH:mm:ss.fff}");
            _ready.TrySetException(new InvalidOperationException("the host exited before it was ready; its last output:\n" + Tail));
        };
    }

    public int ApiPort { get; }

    /// <summary>The host's own pid: <c>dotnet app.dll</c> runs the app in the muxer's process.</summary>
    public int ProcessId => _process.Id;

    public Uri ApiAddress => new($"http://127.0.0.1:{ApiPort}");

    public string Tail
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <summary>
    /// Starts the host. <paramref name="extraArgs"/> are more <c>up</c> options; callers pass <c>--runtime</c>
    /// explicitly, because <c>auto</c> picks Docker when a daemon answers, and a Docker-runtime node agent removes
    /// at start every Grainetes-labelled container whose pod its own store does not hold, including other
    /// clusters' containers on a shared daemon.
    /// </summary>
    public static async Task<HostProcess> StartAsync(string hostDll, string home, string storage, params string[] extraArgs)
    {
        var host = new HostProcess(hostDll, home, FreePort.Next(), storage, extraArgs);
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        try
        {
            await host._ready.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException(
                $"the host did not print its ready line within {StartTimeout.TotalSeconds} s; its last output:\n{host.Tail}");
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>One host of a several-host cluster: <c>up</c> or <c>join</c> with all its flags (storage, ports, secret) and extra environment.</summary>
    public static async Task<HostProcess> StartMemberAsync(string hostDll, string verb, string home, int apiPort, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var host = new HostProcess(hostDll, verb, home, apiPort, arguments, environment);
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        try
        {
            await host._ready.Task.WaitAsync(StartTimeout * 2).ConfigureAwait(false);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>SIGKILL: the host dies at once, as in a crash (its pods' processes stay).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> and waits up to <paramref name="deadline"/>: the exit code (null when it had to be
    /// killed) and how long the host took from the signal to its exit.
    /// </summary>
    public async Task<(int? ExitCode, TimeSpan Elapsed)> SignalAndWaitAsync(int signal, TimeSpan deadline)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Signals.Send(_process.Id, signal);
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return (_process.ExitCode, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
            return (null, clock.Elapsed);
        }
    }

    /// <summary>
    /// Stops the host with SIGTERM and waits; kills it only if it has not exited after 30 s. Not SIGINT: a harness
    /// started in the background of a non-interactive shell passes SIGINT on as ignored, and the host then never sees it.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Signals.Send(_process.Id, 15);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Console.Error.WriteLine($"host (pid {_process.Id}) ignored SIGTERM for 30 s; killing it");
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }

        if (line.Contains("ready", StringComparison.Ordinal) && line.Contains("kubeconfig", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }
}
