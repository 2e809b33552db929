using System.Net;
using System.Net.Sockets;
using Docker.DotNet.Models;
using Grainetes.Abstractions.Streaming;

namespace Grainetes.NodeAgent.Runtime.Docker;

/// <summary>Exec, attach and port-forward on the Docker Engine API.</summary>
public sealed partial class DockerRuntime : IContainerStreamingRuntime
{
    public async Task<IContainerStreamSession> ExecStreamAsync(string containerId, ContainerStreamRequest request, CancellationToken cancellationToken)
    {
        ContainerExecCreateResponse exec;
        using (var timeout = Bounded(cancellationToken))
        {
            exec = await _client.Exec.ExecCreateContainerAsync(
                containerId,
                new ContainerExecCreateParameters
                {
                    Cmd = request.Command.ToList(),
                    AttachStdin = request.Stdin,
                    AttachStdout = request.Stdout,
                    AttachStderr = request.Stderr,
                    Tty = request.Tty,
                },
                timeout.Token).ConfigureAwait(false);
        }

        // The hijacked connection lives as long as the session: only the caller's token bounds it.
        var stream = await _client.Exec.StartAndAttachContainerExecAsync(exec.ID, request.Tty, cancellationToken).ConfigureAwait(false);
        LogExecStarted(containerId, exec.ID);
        return new DockerStreamSession(
            stream,
            request.Stdin,
            halfCloseStdin: true,
            request.Tty ? (size, ct) => _client.Exec.ResizeContainerExecTtyAsync(exec.ID, new ContainerResizeParameters { Width = size.Width, Height = size.Height }, ct) : null,
            ct => ExecExitCodeAsync(exec.ID, ct));
    }

    public async Task<IContainerStreamSession> AttachStreamAsync(string containerId, ContainerStreamRequest request, CancellationToken cancellationToken)
    {
        bool tty;
        bool stdinOnce;
        using (var timeout = Bounded(cancellationToken))
        {
            var inspect = await _client.Containers.InspectContainerAsync(containerId, timeout.Token).ConfigureAwait(false);
            tty = inspect.Config?.Tty ?? false;
            stdinOnce = inspect.Config?.StdinOnce ?? false;
        }

        // The stream's framing follows the container's TTY, not the request's.
        var stream = await _client.Containers.AttachContainerAsync(
            containerId,
            tty,
            new ContainerAttachParameters { Stream = true, Stdin = request.Stdin, Stdout = request.Stdout, Stderr = request.Stderr },
            cancellationToken).ConfigureAwait(false);
        return new DockerStreamSession(
            stream,
            request.Stdin,
            halfCloseStdin: stdinOnce && !tty,
            tty ? (size, ct) => _client.Containers.ResizeContainerTtyAsync(containerId, new ContainerResizeParameters { Width = size.Width, Height = size.Height }, ct) : null,
            _ => Task.FromResult<int?>(null));
    }

    public async Task<Socket> ConnectPortAsync(PodSandbox sandbox, int port, CancellationToken cancellationToken)
    {
        var address = IPAddress.Parse(sandbox.PodIP);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = Bounded(cancellationToken);
            await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<int?> ExecExitCodeAsync(string execId, CancellationToken cancellationToken)
    {
        // The output ends when the command's streams close, a moment before the Engine records its exit code.
        while (true)
        {
            var inspect = await _client.Exec.InspectContainerExecAsync(execId, cancellationToken).ConfigureAwait(false);
            if (!inspect.Running)
            {
                return (int)inspect.ExitCode;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Debug, Message = "Exec {ExecId} started in container {ContainerId}")]
    private partial void LogExecStarted(string containerId, string execId);
}
