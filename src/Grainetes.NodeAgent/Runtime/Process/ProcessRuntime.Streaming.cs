using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Grainetes.Abstractions.Streaming;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>
/// Exec, attach and port-forward for plain processes. An exec runs on the host with the container's environment
/// and working directory (so <c>kubectl cp</c> uses the host's <c>tar</c>); with a TTY it runs under util-linux
/// <c>script</c>, which gives it a pseudo-terminal. Pods share the host's network, so port-forward dials loopback.
/// </summary>
public sealed partial class ProcessRuntime : IContainerStreamingRuntime
{
    private const string StdinFile = "stdin";

    public async Task<IContainerStreamSession> ExecStreamAsync(string containerId, ContainerStreamRequest request, CancellationToken cancellationToken)
    {
        if (request.Command.Count == 0)
        {
            throw new ArgumentException("exec needs a command", nameof(request));
        }

        var record = await LoadRunningAsync(containerId, cancellationToken).ConfigureAwait(false);
        var script = request.Tty ? FindExecutable("script") : null;
        System.Diagnostics.ProcessStartInfo StartInfo(TerminalSize? size)
        {
            var startInfo = new ProcessStartInfo(_setsid)
            {
                UseShellExecute = false,
                WorkingDirectory = record.WorkingDirectory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            if (script is not null)
            {
                // The terminal takes the client's size before the command runs; -q quiet, -e the command's exit code,
                // -f flush at once, -c the command; the typescript goes nowhere.
                var sized = size is { } s
                    ? $"stty rows {s.Height.ToString(CultureInfo.InvariantCulture)} cols {s.Width.ToString(CultureInfo.InvariantCulture)} 2>/dev/null; "
                    : "";
                foreach (var argument in new[] { script, "-qefc", sized + "exec " + string.Join(' ', request.Command.Select(Quote)), "/dev/null" })
                {
                    startInfo.ArgumentList.Add(argument);
                }
            }
            else
            {
                foreach (var argument in request.Command)
                {
                    startInfo.ArgumentList.Add(argument);
                }
            }

            startInfo.Environment.Clear();
            foreach (var (key, value) in record.Environment)
            {
                startInfo.Environment[key] = value;
            }

            if (script is not null && !startInfo.Environment.ContainsKey("TERM"))
            {
                startInfo.Environment["TERM"] = "xterm";
            }

            return startInfo;
        }

        try
        {
            var session = ProcessExecSession.Start(StartInfo, request, terminal: script is not null);
            LogExecStarted(containerId, request.Command[0], script is not null);
            return session;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {request.Command[0]}: {e.Message}", e);
        }
    }

    public async Task<IContainerStreamSession> AttachStreamAsync(string containerId, ContainerStreamRequest request, CancellationToken cancellationToken)
    {
        var record = await LoadRunningAsync(containerId, cancellationToken).ConfigureAwait(false);
        var dir = ContainerDirectory(containerId);
        var stdin = request.Stdin && record.Stdin ? PosixFiles.OpenFifoForWriting(Path.Combine(dir, StdinFile)) : null;
        return new ProcessAttachSession(
            Path.Combine(dir, LogFile),
            () => !Directory.Exists(dir) || StateOf(record).Status == ContainerStatus.Exited,
            stdin,
            _options.LogPollInterval);
    }

    public async Task<Socket> ConnectPortAsync(PodSandbox sandbox, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<ProcessContainerRecord> LoadRunningAsync(string containerId, CancellationToken cancellationToken)
    {
        var record = await LoadAsync(containerId, cancellationToken).ConfigureAwait(false);
        if (record is null || StateOf(record).Status != ContainerStatus.Running)
        {
            throw new InvalidOperationException($"container {containerId} is not running");
        }

        return record;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Debug, Message = "Exec of {Command} in container {ContainerId} started (terminal: {Terminal})")]
    private partial void LogExecStarted(string containerId, string command, bool terminal);
}
