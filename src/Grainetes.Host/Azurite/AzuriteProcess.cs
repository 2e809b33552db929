using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace Grainetes.Host.Azurite;

/// <summary>
/// Azurite's table service as a child process: node runs the package's table main.js directly (an npx wrapper
/// would survive being killed and leave the server running). Disposing stops it with SIGINT, which makes
/// Azurite write its database file; a killed Azurite loses up to its last five seconds of writes.
/// </summary>
public sealed partial class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's output (stdout and stderr) in the data directory; appended to across restarts.</summary>
    public const string LogFileName = "azurite.log";

    /// <summary>Holds the server's process id while it runs, so a later start can stop one left behind by a crash.</summary>
    public const string PidFileName = "azurite.pid";

    private const string DebugLogFileName = "azurite-debug.log";
    private const int SigInt = 2;
    private const int FreePortAttempts = 3;

    // Cold start of node plus Azurite's loading of a large database file can take a while on a busy CI machine.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // Azurite rewrites its whole database file on exit; large stores need seconds.
    private static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly ProcessLog _log;
    private readonly ILogger _logger;
    private readonly Lazy<Task> _stop;
    private int _stopping;

    private AzuriteProcess(Process process, ProcessLog log, AzuriteSettings settings, int port, string dataDirectory, ILogger logger)
    {
        _process = process;
        _log = log;
        _logger = logger;
        Settings = settings;
        Port = port;
        DataDirectory = dataDirectory;
        ProcessId = process.Id;
        _stop = new Lazy<Task>(StopCoreAsync);
        Exited = process.WaitForExitAsync();
        _ = Exited.ContinueWith(
            _ => OnExited(),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>The settings it was started with; <see cref="AzuriteSettings.TablePort"/> may be 0, see <see cref="Port"/>.</summary>
    public AzuriteSettings Settings { get; }

    /// <summary>The port the table service actually listens on.</summary>
    public int Port { get; }

    public string DataDirectory { get; }

    public int ProcessId { get; }

    public string LogFile => Path.Combine(DataDirectory, LogFileName);

    public Uri TableEndpoint => Settings.GetTableEndpoint(Port);

    /// <summary>The Azure.Data.Tables connection string of the running service.</summary>
    public string ConnectionString => Settings.GetTableConnectionString(Port);

    /// <summary>Completes when the server process has exited, whether stopped or crashed.</summary>
    public Task Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    /// <summary>
    /// Starts Azurite with the repository's settings (azurite.json) but on <paramref name="port"/> (0 = a free one).
    /// </summary>
    /// <param name="azuriteDirectory">The repository root, tools/azurite, or the azurite package directory.</param>
    public static async Task<AzuriteProcess> StartAsync(
        string azuriteDirectory,
        string dataDirectory,
        int port,
        ILogger logger,
        CancellationToken cancellationToken = default)
    {
        var installation = AzuriteInstallation.FromDirectory(azuriteDirectory);
        var settings = await installation.LoadSettingsAsync(cancellationToken).ConfigureAwait(false);
        return await StartAsync(installation, settings with { TablePort = port }, dataDirectory, logger, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Starts Azurite's table service on <see cref="AzuriteSettings.TablePort"/> (0 = a free loopback port) with its
    /// data in <paramref name="dataDirectory"/>, and returns once the Tables API answers.
    /// </summary>
    /// <exception cref="InvalidOperationException">Azurite exited or did not answer in time; the message carries its output.</exception>
    public static async Task<AzuriteProcess> StartAsync(
        AzuriteInstallation installation,
        AzuriteSettings settings,
        string dataDirectory,
        ILogger logger,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(installation);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);

        var dataDir = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(dataDir);

        var installed = await installation.ReadInstalledVersionAsync(cancellationToken).ConfigureAwait(false);
        if (installed != settings.Version)
        {
            LogVersionMismatch(logger, installed ?? "unknown", settings.Version, installation.PackageDirectory);
        }

        await StopLeftoverAsync(installation, dataDir, logger, cancellationToken).ConfigureAwait(false);

        // A server already answering on a fixed port would pass the readiness check below in place of ours, and the
        // cluster would silently write into someone else's store: refuse instead.
        if (settings.TablePort != 0 && await PortAnswersAsync(settings.Host, settings.TablePort, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"port {settings.TablePort} on {settings.Host} is already in use by another program (another Azurite?); "
                + "stop it, or set another tablePort in azurite.json");
        }

        // A free port found by binding and releasing it can be taken by someone else before Azurite binds it.
        var attempts = settings.TablePort == 0 ? FreePortAttempts : 1;
        for (var attempt = 1; ; attempt++)
        {
            var port = settings.TablePort == 0 ? FindFreePort(settings.Host) : settings.TablePort;
            var azurite = Launch(installation, settings, port, dataDir, logger);
            try
            {
                await azurite.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
                LogStarted(logger, azurite.ProcessId, azurite.TableEndpoint, dataDir);
                return azurite;
            }
            catch (Exception e) when (attempt < attempts && e is InvalidOperationException && azurite.HasExited
                                      && azurite._log.Contains("EADDRINUSE"))
            {
                LogPortTaken(logger, port);
                await azurite.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await azurite.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Stops the server gracefully (SIGINT, then a kill after 10 s). Safe to call more than once.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _stop.Value.WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.Value.ConfigureAwait(false);
        _process.Dispose();
    }

    private static AzuriteProcess Launch(
        AzuriteInstallation installation, AzuriteSettings settings, int port, string dataDir, ILogger logger)
    {
        var startInfo = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = dataDir,
        };
        startInfo.ArgumentList.Add(installation.TableMainScript);
        startInfo.ArgumentList.Add("--tableHost");
        startInfo.ArgumentList.Add(settings.Host);
        startInfo.ArgumentList.Add("--tablePort");
        startInfo.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        startInfo.ArgumentList.Add("--location");
        startInfo.ArgumentList.Add(dataDir);
        // Telemetry would try to reach the internet on every start and stop; these machines have none.
        startInfo.ArgumentList.Add("--disableTelemetry");
        if (settings.Loose)
        {
            startInfo.ArgumentList.Add("--loose");
        }

        if (settings.SkipApiVersionCheck)
        {
            startInfo.ArgumentList.Add("--skipApiVersionCheck");
        }

        if (settings.InMemoryPersistence)
        {
            startInfo.ArgumentList.Add("--inMemoryPersistence");
        }

        if (!settings.AccessLog)
        {
            startInfo.ArgumentList.Add("--silent");
        }

        if (settings.DebugLog)
        {
            startInfo.ArgumentList.Add("--debug");
            startInfo.ArgumentList.Add(Path.Combine(dataDir, DebugLogFileName));
        }

        if (!settings.UsesDevelopmentAccount)
        {
            // Azurite only knows accounts other than devstoreaccount1 from this variable.
            startInfo.Environment["AZURITE_ACCOUNTS"] = $"{settings.AccountName}:{settings.AccountKey}";
        }

        var log = new ProcessLog(Path.Combine(dataDir, LogFileName));
        log.Write($"starting: node {string.Join(' ', startInfo.ArgumentList)}");
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => log.Write(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            log.Write(e.Data);
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                LogStandardError(logger, e.Data);
            }
        };

        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception)
        {
            log.Dispose();
            process.Dispose();
            throw new InvalidOperationException("Cannot start `node`: Node.js must be on PATH to run Azurite.", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        File.WriteAllText(Path.Combine(dataDir, PidFileName), process.Id.ToString(CultureInfo.InvariantCulture));
        return new AzuriteProcess(process, log, settings, port, dataDir, logger);
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        var client = new TableServiceClient(ConnectionString, options);

        var deadline = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(25);
        Exception? lastError = null;
        while (deadline.Elapsed < StartTimeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (HasExited)
            {
                throw new InvalidOperationException(
                    $"Azurite exited with code {_process.ExitCode} while starting on port {Port}. Its output ({LogFile}):\n{_log.Tail()}");
            }

            if (await AcceptsConnectionsAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await foreach (var _ in client.QueryAsync(filter: (string?)null, maxPerPage: 1, cancellationToken)
                                       .AsPages().ConfigureAwait(false))
                    {
                        break;
                    }

                    return;
                }
                catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or IOException
                                          or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    lastError = e;
                }
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }

        throw new InvalidOperationException(
            $"Azurite did not answer on {TableEndpoint} within {StartTimeout.TotalSeconds:0} s"
            + (lastError is null ? "" : $" (last error: {lastError.Message})")
            + $". Its output ({LogFile}):\n{_log.Tail()}");
    }

    private Task<bool> AcceptsConnectionsAsync(CancellationToken cancellationToken) =>
        PortAnswersAsync(Settings.Host, Port, cancellationToken);

    private static async Task<bool> PortAnswersAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private async Task StopCoreAsync()
    {
        Interlocked.Exchange(ref _stopping, 1);
        try
        {
            if (!HasExited)
            {
                LogStopping(_logger, ProcessId);
                if (!TrySignalInterrupt(ProcessId))
                {
                    _process.Kill(entireProcessTree: true);
                }

                using var grace = new CancellationTokenSource(StopGracePeriod);
                try
                {
                    await Exited.WaitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    LogKilling(_logger, ProcessId, StopGracePeriod.TotalSeconds);
                    _process.Kill(entireProcessTree: true);
                    await Exited.ConfigureAwait(false);
                }

                LogStopped(_logger, ProcessId, _process.ExitCode);
            }

            DeletePidFile(DataDirectory, ProcessId);
        }
        finally
        {
            _log.Dispose();
        }
    }

    private void OnExited()
    {
        if (Volatile.Read(ref _stopping) == 0)
        {
            LogExitedUnexpectedly(_logger, ProcessId, _process.ExitCode, LogFile);
        }
    }

    /// <summary>Stops an Azurite a crashed host left running on the same data directory, which would otherwise own the port and the files.</summary>
    private static async Task StopLeftoverAsync(
        AzuriteInstallation installation, string dataDir, ILogger logger, CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(dataDir, PidFileName);
        if (!File.Exists(pidFile))
        {
            return;
        }

        if (int.TryParse(await File.ReadAllTextAsync(pidFile, cancellationToken).ConfigureAwait(false), out var pid)
            && IsAzuriteFor(pid, installation, dataDir))
        {
            using var leftover = Process.GetProcessById(pid);
            LogStoppingLeftover(logger, pid, dataDir);
            if (!TrySignalInterrupt(pid))
            {
                leftover.Kill(entireProcessTree: true);
            }

            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            grace.CancelAfter(StopGracePeriod);
            try
            {
                await leftover.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                leftover.Kill(entireProcessTree: true);
                await leftover.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        File.Delete(pidFile);
    }

    // Only a process whose command line names this installation's main.js and this data directory counts,
    // so a recycled pid never gets signalled.
    private static bool IsAzuriteFor(int pid, AzuriteInstallation installation, string dataDir)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments.Contains(installation.TableMainScript) && arguments.Contains(dataDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void DeletePidFile(string dataDir, int pid)
    {
        var pidFile = Path.Combine(dataDir, PidFileName);
        try
        {
            if (File.Exists(pidFile) && File.ReadAllText(pidFile).Trim() == pid.ToString(CultureInfo.InvariantCulture))
            {
                File.Delete(pidFile);
            }
        }
        catch (IOException)
        {
            // A stale pid file is harmless: the next start checks the command line before signalling.
        }
    }

    private static bool TrySignalInterrupt(int pid) =>
        !OperatingSystem.IsWindows() && Libc.Kill(pid, SigInt) == 0;

    private static int FindFreePort(string host)
    {
        var address = IPAddress.TryParse(host, out var parsed) ? parsed : IPAddress.Loopback;
        using var listener = new TcpListener(address, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Azurite (pid {Pid}) serves tables at {TableEndpoint} with data in {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, int pid, Uri tableEndpoint, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Installed Azurite is {InstalledVersion}, azurite.json pins {PinnedVersion} ({PackageDirectory}); run npm ci in tools/azurite")]
    private static partial void LogVersionMismatch(ILogger logger, string installedVersion, string pinnedVersion, string packageDirectory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Port {Port} was taken before Azurite could bind it; trying another")]
    private static partial void LogPortTaken(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Azurite: {Line}")]
    private static partial void LogStandardError(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping Azurite (pid {Pid})")]
    private static partial void LogStopping(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Azurite (pid {Pid}) did not exit within {GraceSeconds} s of SIGINT; killing it, its last writes may be lost")]
    private static partial void LogKilling(ILogger logger, int pid, double graceSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Azurite (pid {Pid}) exited with code {ExitCode}")]
    private static partial void LogStopped(ILogger logger, int pid, int exitCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Azurite (pid {Pid}) exited unexpectedly with code {ExitCode}; see {LogFile}")]
    private static partial void LogExitedUnexpectedly(ILogger logger, int pid, int exitCode, string logFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping Azurite (pid {Pid}) left running on {DataDirectory} by an earlier host")]
    private static partial void LogStoppingLeftover(ILogger logger, int pid, string dataDirectory);

    private static class Libc
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }

    /// <summary>Appends Azurite's output lines to a file and remembers the last ones for error messages.</summary>
    private sealed class ProcessLog : IDisposable
    {
        private const int TailLines = 40;
        private readonly Lock _gate = new();
        private readonly StreamWriter _writer;
        private readonly Queue<string> _tail = new();
        private bool _disposed;

        public ProcessLog(string path)
        {
            _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
            {
                AutoFlush = true,
            };
        }

        public void Write(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_gate)
            {
                _tail.Enqueue(line);
                if (_tail.Count > TailLines)
                {
                    _tail.Dequeue();
                }

                if (!_disposed)
                {
                    _writer.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {line}");
                }
            }
        }

        public bool Contains(string text)
        {
            lock (_gate)
            {
                return _tail.Any(line => line.Contains(text, StringComparison.Ordinal));
            }
        }

        public string Tail()
        {
            lock (_gate)
            {
                return string.Join('\n', _tail);
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _disposed = true;
                    _writer.Dispose();
                }
            }
        }
    }
}
