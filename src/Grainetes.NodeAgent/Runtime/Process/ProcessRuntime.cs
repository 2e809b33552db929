using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>
/// Runs containers as plain process groups on the host, for hosts without Docker. The image is recorded but not
/// used: the command must be given (Kubernetes <c>command</c>/<c>args</c>). Each container's main process leads
/// its own session and process group, so stopping reaches everything it started. A launcher shell outside that
/// group waits for it and writes its exit code to a file, so exit codes survive silo restarts.
/// </summary>
/// <remarks>
/// Enforced: the memory limit as an address-space limit (<see cref="ProcessRuntimeOptions.LimitAddressSpace"/>).
/// Not enforced: CPU limits and requests, filesystem and network isolation (pods share the host network, so
/// the pod IP is the host's), read-only mounts. Mounts are symlinks at the container path on the host, made
/// only where nothing exists yet (shared by every process on the host). Log lines carry no timestamps, so
/// <see cref="LogOptions.Timestamps"/> and <see cref="LogOptions.Since"/> are ignored.
/// </remarks>
public sealed partial class ProcessRuntime : IContainerRuntime
{
    private const string RecordFile = "container.json";
    private const string SandboxFile = "sandbox.json";
    private const string LogFile = "log";
    private const string ExitCodeFile = "exitcode";
    private const string PidFile = "pid";
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private readonly ProcessRuntimeOptions _options;
    private readonly ILogger<ProcessRuntime> _logger;
    private readonly string _root;
    private readonly string _containersDir;
    private readonly string _sandboxesDir;
    private readonly string _setsid;
    private readonly string _shell;
    private readonly Lazy<string> _podIP;
    private readonly SemaphoreSlim _scriptsLock = new(1, 1);
    private string? _launcher;

    public ProcessRuntime(IOptions<ProcessRuntimeOptions> options, ILogger<ProcessRuntime> logger)
    {
        _options = options.Value;
        _logger = logger;
        _root = _options.ResolveRootDirectory();
        _containersDir = Path.Combine(_root, "containers");
        _sandboxesDir = Path.Combine(_root, "sandboxes");
        _setsid = FindExecutable("setsid") ?? throw new InvalidOperationException("the process runtime needs 'setsid' (util-linux) on PATH");
        _shell = File.Exists("/bin/sh") ? "/bin/sh" : FindExecutable("sh") ?? throw new InvalidOperationException("the process runtime needs /bin/sh");
        _podIP = new Lazy<string>(() => string.IsNullOrWhiteSpace(_options.PodIP) ? HostAddress.PrimaryIPv4() : _options.PodIP);
    }

    public string Name => "process";

    /// <summary>Where this runtime keeps its state.</summary>
    public string RootDirectory => _root;

    public Task<string> VersionAsync(CancellationToken cancellationToken) =>
        Task.FromResult("process://" + (typeof(ProcessRuntime).Assembly.GetName().Version?.ToString() ?? "0.0.0"));

    public async Task<PodSandbox> EnsureSandboxAsync(PodSandboxSpec spec, CancellationToken cancellationToken)
    {
        var dir = SandboxDirectory(spec.PodUid);
        var file = Path.Combine(dir, SandboxFile);
        var existing = await ReadJsonAsync(file, ProcessRuntimeJsonContext.Default.ProcessSandboxRecord, cancellationToken).ConfigureAwait(false);
        var volumes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in spec.EmptyDirVolumes.Concat(spec.FileVolumes ?? []))
        {
            var path = Path.Combine(dir, "volumes", SafeName(name));
            Directory.CreateDirectory(path);
            volumes[name] = path;
        }

        if (existing is not null && volumes.Keys.All(existing.VolumePaths.ContainsKey))
        {
            return new PodSandbox(existing.PodUid, SandboxIdOf(existing.PodUid), existing.PodIP, existing.VolumePaths);
        }

        foreach (var (name, path) in existing?.VolumePaths ?? new Dictionary<string, string>())
        {
            volumes.TryAdd(name, path);
        }

        var record = new ProcessSandboxRecord
        {
            PodUid = spec.PodUid,
            Namespace = spec.Namespace,
            PodName = spec.PodName,
            PodIP = _podIP.Value,
            VolumePaths = volumes,
            CreatedAt = existing?.CreatedAt ?? DateTimeOffset.UtcNow,
        };
        await WriteJsonAsync(file, record, ProcessRuntimeJsonContext.Default.ProcessSandboxRecord, cancellationToken).ConfigureAwait(false);
        LogSandboxCreated(spec.Namespace, spec.PodName, spec.PodUid, record.PodIP);
        return new PodSandbox(record.PodUid, SandboxIdOf(record.PodUid), record.PodIP, record.VolumePaths);
    }

    public Task RemoveSandboxAsync(string podUid, CancellationToken cancellationToken)
    {
        var dir = SandboxDirectory(podUid);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
            LogSandboxRemoved(podUid);
        }

        return Task.CompletedTask;
    }

    /// <summary>Nothing to pull: the image only names what the pod asked for.</summary>
    public Task EnsureImageAsync(string image, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<string> CreateContainerAsync(PodSandbox sandbox, ContainerSpec spec, CancellationToken cancellationToken)
    {
        var commandLine = (spec.Command ?? []).Concat(spec.Args ?? []).ToList();
        if (commandLine.Count == 0)
        {
            throw new ArgumentException(
                $"container \"{spec.ContainerName}\": the process runtime has no image entrypoint to fall back on; the container needs a command or args",
                nameof(spec));
        }

        var id = Guid.NewGuid().ToString("N");
        var dir = ContainerDirectory(id);
        Directory.CreateDirectory(dir);
        var workingDirectory = string.IsNullOrEmpty(spec.WorkingDir)
            ? Path.Combine(dir, "work")
            : Path.GetFullPath(spec.WorkingDir, dir);
        Directory.CreateDirectory(workingDirectory);

        var environment = new Dictionary<string, string>(spec.Environment, StringComparer.Ordinal);
        environment.TryAdd("PATH", DefaultPath);
        environment.TryAdd("HOME", dir);
        environment.TryAdd("HOSTNAME", spec.PodName);

        var links = new List<string>();
        foreach (var mount in spec.Mounts)
        {
            if (TryLinkMount(mount, dir))
            {
                links.Add(Path.GetFullPath(mount.ContainerPath, dir));
            }
        }

        // The pipe attach writes to; the main process holds it open read-write, so it never reads end-of-file.
        var stdin = spec.Stdin && PosixFiles.MakeFifo(Path.Combine(dir, StdinFile));
        var record = new ProcessContainerRecord
        {
            ContainerId = id,
            Stdin = stdin,
            PodUid = spec.PodUid,
            Namespace = spec.Namespace,
            PodName = spec.PodName,
            ContainerName = spec.ContainerName,
            Attempt = spec.Attempt,
            IsInit = spec.IsInit,
            Image = spec.Image,
            CommandLine = commandLine,
            Environment = environment,
            WorkingDirectory = workingDirectory,
            MemoryLimitBytes = _options.LimitAddressSpace ? spec.MemoryLimitBytes : 0,
            MountLinks = links,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await SaveAsync(record, cancellationToken).ConfigureAwait(false);
        LogContainerCreated(id, spec.Namespace, spec.PodName, spec.ContainerName, spec.Attempt);
        return id;
    }

    public async Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        var record = await LoadRequiredAsync(containerId, cancellationToken).ConfigureAwait(false);
        if (record.StartedAt is not null)
        {
            // Starting twice is a retry of a start that may have half happened; the container runs once.
            return;
        }

        var dir = ContainerDirectory(containerId);
        var launcher = await EnsureLauncherAsync(cancellationToken).ConfigureAwait(false);
        var memoryKiB = record.MemoryLimitBytes > 0 ? Math.Max(1, record.MemoryLimitBytes / 1024) : 0;

        var startInfo = new ProcessStartInfo(_setsid)
        {
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        startInfo.ArgumentList.Add(_shell);
        startInfo.ArgumentList.Add(launcher);
        startInfo.ArgumentList.Add(dir);
        startInfo.ArgumentList.Add(record.WorkingDirectory);
        startInfo.ArgumentList.Add(memoryKiB.ToString(CultureInfo.InvariantCulture));
        foreach (var argument in record.CommandLine)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        foreach (var (key, value) in record.Environment)
        {
            startInfo.Environment[key] = value;
        }

        var startedAt = DateTimeOffset.UtcNow;
        int launcherPid;
        using (var launcherProcess = System.Diagnostics.Process.Start(startInfo)
            ?? throw new InvalidOperationException($"could not start the launcher of container {containerId}"))
        {
            launcherPid = launcherProcess.Id;
        }

        record = record with
        {
            StartedAt = startedAt,
            LauncherPid = launcherPid,
            LauncherStartTicks = ProcFs.StartTicks(launcherPid),
        };
        await SaveAsync(record, cancellationToken).ConfigureAwait(false);

        // The main process writes its pid as it starts; recording its start time now guards later signals against pid reuse.
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(2))
        {
            if (ReadIntFile(Path.Combine(dir, PidFile)) is { } pid)
            {
                record = record with { Pid = pid, PidStartTicks = ProcFs.StartTicks(pid) };
                await SaveAsync(record, cancellationToken).ConfigureAwait(false);
                break;
            }

            if (File.Exists(Path.Combine(dir, ExitCodeFile)))
            {
                break;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        LogContainerStarted(containerId, record.Pid ?? 0, launcherPid);
    }

    public async Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        var record = await LoadAsync(containerId, cancellationToken).ConfigureAwait(false);
        if (record?.StartedAt is null)
        {
            return;
        }

        var dir = ContainerDirectory(containerId);
        record = await ResolvePidAsync(record, cancellationToken).ConfigureAwait(false);
        var lastSignal = 0;
        if (record.Pid is { } pgid && OwnsGroup(record))
        {
            if (ProcFs.IsAlive(pgid, record.PidStartTicks) && ProcFs.SignalGroup(pgid, ProcFs.SigTerm))
            {
                lastSignal = ProcFs.SigTerm;
                LogSignalled(containerId, pgid, "SIGTERM");
                await WaitAsync(() => !ProcFs.GroupExists(pgid), gracePeriod, cancellationToken).ConfigureAwait(false);
            }

            // Also reaches what the main process left behind when it exited on its own.
            if (ProcFs.GroupExists(pgid) && ProcFs.SignalGroup(pgid, ProcFs.SigKill))
            {
                lastSignal = ProcFs.SigKill;
                LogSignalled(containerId, pgid, "SIGKILL");
                if (!await WaitAsync(() => !ProcFs.GroupExists(pgid), _options.KillTimeout, cancellationToken).ConfigureAwait(false))
                {
                    LogGroupSurvived(containerId, pgid);
                }
            }
        }

        // The launcher writes the exit code once it has reaped the main process.
        var exitFile = Path.Combine(dir, ExitCodeFile);
        await WaitAsync(
            () => File.Exists(exitFile) || !LauncherAlive(record),
            TimeSpan.FromSeconds(2),
            cancellationToken).ConfigureAwait(false);
        if (!File.Exists(exitFile) && !LauncherAlive(record) && lastSignal != 0)
        {
            // The launcher is gone too (killed with the silo's session, say): the signal we sent is the best account of the end.
            await File.WriteAllTextAsync(exitFile, (128 + lastSignal).ToString(CultureInfo.InvariantCulture) + "\n", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        var record = await LoadAsync(containerId, cancellationToken).ConfigureAwait(false);
        var dir = ContainerDirectory(containerId);
        if (record is not null)
        {
            await StopContainerAsync(containerId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            foreach (var link in record.MountLinks)
            {
                await RemoveLinkIfUnusedAsync(link, containerId, cancellationToken).ConfigureAwait(false);
            }
        }

        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
            LogContainerRemoved(containerId);
        }
    }

    public async Task<ContainerState?> InspectAsync(string containerId, CancellationToken cancellationToken)
    {
        var record = await LoadAsync(containerId, cancellationToken).ConfigureAwait(false);
        return record is null ? null : StateOf(record);
    }

    public async Task<IReadOnlyList<ContainerState>> ListAsync(CancellationToken cancellationToken)
    {
        var states = new List<ContainerState>();
        if (!Directory.Exists(_containersDir))
        {
            return states;
        }

        foreach (var dir in Directory.EnumerateDirectories(_containersDir))
        {
            var record = await LoadAsync(Path.GetFileName(dir), cancellationToken).ConfigureAwait(false);
            if (record is not null)
            {
                states.Add(StateOf(record));
            }
        }

        return states;
    }

    public async Task<IReadOnlyList<ContainerUsageSample>> SampleUsageAsync(IReadOnlyCollection<string> containerIds, CancellationToken cancellationToken)
    {
        // A container is its main process's session (it is the session leader), so whatever it starts is counted.
        var sessions = new Dictionary<int, string>();
        foreach (var id in containerIds)
        {
            var record = await LoadAsync(id, cancellationToken).ConfigureAwait(false);
            if (record?.Pid is { } pid && OwnsGroup(record) && ProcFs.IsAlive(pid, record.PidStartTicks))
            {
                sessions[pid] = id;
            }
        }

        var at = DateTimeOffset.UtcNow;
        var usage = ProcFs.SessionUsage(sessions.Keys.ToHashSet());
        var pageSize = Environment.SystemPageSize;
        return usage
            .Select(u => new ContainerUsageSample(
                sessions[u.Key],
                at,
                u.Value.Ticks * (1_000_000_000 / ProcFs.ClockTicksPerSecond),
                u.Value.ResidentPages * pageSize))
            .ToList();
    }

    public async Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (command.Count == 0)
        {
            throw new ArgumentException("exec needs a command", nameof(command));
        }

        var record = await LoadRequiredAsync(containerId, cancellationToken).ConfigureAwait(false);
        if (StateOf(record).Status != ContainerStatus.Running)
        {
            throw new InvalidOperationException($"container {containerId} is not running");
        }

        // Its own session and group, so a timeout can end everything the command started.
        var startInfo = new ProcessStartInfo(_setsid)
        {
            UseShellExecute = false,
            WorkingDirectory = record.WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Clear();
        foreach (var (key, value) in record.Environment)
        {
            startInfo.Environment[key] = value;
        }

        using var process = new System.Diagnostics.Process { StartInfo = startInfo };
        var output = new StringBuilder();
        void Append(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.Append(e.Data).Append('\n');
                }
            }
        }

        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ExecResult(126, e.Message, TimedOut: false);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            ProcFs.SignalGroup(process.Id, ProcFs.SigKill);
            using var reap = new CancellationTokenSource(_options.KillTimeout);
            try
            {
                await process.WaitForExitAsync(reap.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                LogGroupSurvived(containerId, process.Id);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        string text;
        lock (output)
        {
            text = output.ToString();
        }

        return new ExecResult(timedOut ? 137 : process.ExitCode, text, timedOut);
    }

    public async IAsyncEnumerable<string> ReadLogsAsync(string containerId, LogOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var record = await LoadRequiredAsync(containerId, cancellationToken).ConfigureAwait(false);
        var path = Path.Combine(ContainerDirectory(containerId), LogFile);
        bool IsFinished() => !Directory.Exists(ContainerDirectory(containerId)) || StateOf(record).Status == ContainerStatus.Exited;
        await foreach (var line in LogFileReader.ReadAsync(path, options.TailLines, options.Follow, IsFinished, _options.LogPollInterval, cancellationToken).ConfigureAwait(false))
        {
            yield return line;
        }
    }

    private ContainerState StateOf(ProcessContainerRecord record)
    {
        var dir = ContainerDirectory(record.ContainerId);
        var status = ContainerStatus.Created;
        int? exitCode = null;
        DateTimeOffset? finishedAt = null;
        string? reason = null;
        string? message = null;
        if (record.StartedAt is not null)
        {
            var exitFile = Path.Combine(dir, ExitCodeFile);
            if (ReadIntFile(exitFile) is { } code)
            {
                status = ContainerStatus.Exited;
                exitCode = code;
                finishedAt = File.GetLastWriteTimeUtc(exitFile);
            }
            else if (LauncherAlive(record) || MainAlive(record, dir))
            {
                status = ContainerStatus.Running;
            }
            else if (ReadIntFile(exitFile) is { } lateCode)
            {
                // Written between the first look and the liveness checks.
                status = ContainerStatus.Exited;
                exitCode = lateCode;
                finishedAt = File.GetLastWriteTimeUtc(exitFile);
            }
            else
            {
                status = ContainerStatus.Exited;
                exitCode = 137;
                message = "the process and its launcher are gone without recording an exit code";
            }

            if (status == ContainerStatus.Exited)
            {
                reason = exitCode == 0 ? "Completed" : "Error";
            }
        }

        return new ContainerState
        {
            ContainerId = record.ContainerId,
            PodUid = record.PodUid,
            Namespace = record.Namespace,
            PodName = record.PodName,
            ContainerName = record.ContainerName,
            Attempt = record.Attempt,
            IsInit = record.IsInit,
            Image = record.Image,
            ImageId = record.Image,
            Status = status,
            StartedAt = record.StartedAt,
            FinishedAt = finishedAt,
            ExitCode = exitCode,
            Reason = reason,
            Message = message,
        };
    }

    private static bool LauncherAlive(ProcessContainerRecord record) =>
        record.LauncherPid is { } pid && ProcFs.IsAlive(pid, record.LauncherStartTicks);

    private static bool MainAlive(ProcessContainerRecord record, string dir)
    {
        if (record.Pid is { } pid)
        {
            return ProcFs.IsAlive(pid, record.PidStartTicks);
        }

        // Started by a silo that died before it recorded the pid: trust the file only for a process younger than the launcher.
        return ReadIntFile(Path.Combine(dir, PidFile)) is { } filePid
            && ProcFs.StartTicks(filePid) is { } ticks
            && (record.LauncherStartTicks is null || ticks >= record.LauncherStartTicks);
    }

    /// <summary>
    /// Whether signalling the group <see cref="ProcessContainerRecord.Pid"/> reaches this container. Linux does not
    /// reuse a pid while a group of that id exists, so the group is ours unless a different process now leads it.
    /// </summary>
    private static bool OwnsGroup(ProcessContainerRecord record) =>
        record.Pid is { } pid && (ProcFs.StartTicks(pid) is not { } ticks || record.PidStartTicks is null || ticks == record.PidStartTicks);

    private async Task<ProcessContainerRecord> ResolvePidAsync(ProcessContainerRecord record, CancellationToken cancellationToken)
    {
        if (record.Pid is not null)
        {
            return record;
        }

        var pidFile = Path.Combine(ContainerDirectory(record.ContainerId), PidFile);
        await WaitAsync(() => File.Exists(pidFile) || !LauncherAlive(record), TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        if (ReadIntFile(pidFile) is not { } pid)
        {
            return record;
        }

        var ticks = ProcFs.StartTicks(pid);
        if (ticks is not null && record.LauncherStartTicks is { } launcherTicks && ticks < launcherTicks)
        {
            return record;
        }

        record = record with { Pid = pid, PidStartTicks = ticks };
        await SaveAsync(record, cancellationToken).ConfigureAwait(false);
        return record;
    }

    private bool TryLinkMount(VolumeMount mount, string containerDir)
    {
        var target = Path.GetFullPath(mount.ContainerPath, containerDir);
        var existing = new FileInfo(target).LinkTarget;
        if (existing is not null || Path.Exists(target))
        {
            // Another container of the pod made the same link: share it. Anything else at the path is left alone.
            if (existing == mount.HostPath)
            {
                return true;
            }

            LogMountNotLinked(mount.ContainerPath, mount.HostPath);
            return false;
        }

        try
        {
            var parent = Path.GetDirectoryName(target);
            if (parent is not null)
            {
                Directory.CreateDirectory(parent);
            }

            File.CreateSymbolicLink(target, mount.HostPath);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogMountNotLinked(mount.ContainerPath, mount.HostPath);
            return false;
        }
    }

    /// <summary>Removes a mount link once no other container still uses it.</summary>
    private async Task RemoveLinkIfUnusedAsync(string link, string containerId, CancellationToken cancellationToken)
    {
        foreach (var dir in Directory.EnumerateDirectories(_containersDir))
        {
            var other = Path.GetFileName(dir);
            if (other != containerId
                && await LoadAsync(other, cancellationToken).ConfigureAwait(false) is { } record
                && record.MountLinks.Contains(link))
            {
                return;
            }
        }

        try
        {
            var info = new FileInfo(link);
            if (info.LinkTarget is not null)
            {
                info.Delete();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogMountNotLinked(link, "(removal)");
        }
    }

    private async Task<string> EnsureLauncherAsync(CancellationToken cancellationToken)
    {
        if (_launcher is not null)
        {
            return _launcher;
        }

        await _scriptsLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_launcher is not null)
            {
                return _launcher;
            }

            // Positional parameters only: a shell variable would collide with (and be exported into) the container's environment.
            // $1 container dir, $2 working dir, $3 address-space limit in KiB (0 = none), the rest the command.
            // The launcher keeps its own session; the main process gets another, so signals to its group miss the launcher.
            var script = $$"""
                # Grainetes process runtime launcher: runs one container's command and records its exit code.
                exec </dev/null >>"$1/log" 2>&1
                {{Quote(_setsid)}} {{Quote(_shell)}} -c '
                echo $$ >"$1/pid"
                cd "$2" || exit 127
                if [ -p "$1/stdin" ]; then exec <>"$1/stdin"; fi
                if [ "$3" -gt 0 ]; then ulimit -v "$3" || exit 126; fi
                shift 3
                exec "$@"' grainetes "$@"
                echo $? >"$1/exitcode"
                """;
            var path = Path.Combine(_root, "launcher.sh");
            Directory.CreateDirectory(_root);
            var existing = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;
            if (existing != script)
            {
                var temporary = path + "." + Guid.NewGuid().ToString("N");
                await File.WriteAllTextAsync(temporary, script, cancellationToken).ConfigureAwait(false);
                File.Move(temporary, path, overwrite: true);
            }

            _launcher = path;
            return path;
        }
        finally
        {
            _scriptsLock.Release();
        }
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            if (stopwatch.Elapsed >= timeout)
            {
                return false;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private static int? ReadIntFile(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string ContainerDirectory(string containerId)
    {
        if (containerId.Length == 0 || containerId.Any(c => !char.IsAsciiLetterOrDigit(c)))
        {
            throw new ArgumentException($"not a process runtime container id: \"{containerId}\"", nameof(containerId));
        }

        return Path.Combine(_containersDir, containerId);
    }

    private string SandboxDirectory(string podUid) => Path.Combine(_sandboxesDir, SafeName(podUid));

    private static string SandboxIdOf(string podUid) => "process-" + podUid;

    private static string SafeName(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw new ArgumentException($"\"{name}\" cannot name a directory", nameof(name));
        }

        return name;
    }

    private async Task<ProcessContainerRecord?> LoadAsync(string containerId, CancellationToken cancellationToken) =>
        await ReadJsonAsync(Path.Combine(ContainerDirectory(containerId), RecordFile), ProcessRuntimeJsonContext.Default.ProcessContainerRecord, cancellationToken).ConfigureAwait(false);

    private async Task<ProcessContainerRecord> LoadRequiredAsync(string containerId, CancellationToken cancellationToken) =>
        await LoadAsync(containerId, cancellationToken).ConfigureAwait(false)
        ?? throw new KeyNotFoundException($"no container {containerId} in the process runtime");

    private Task SaveAsync(ProcessContainerRecord record, CancellationToken cancellationToken) =>
        WriteJsonAsync(Path.Combine(ContainerDirectory(record.ContainerId), RecordFile), record, ProcessRuntimeJsonContext.Default.ProcessContainerRecord, cancellationToken);

    private async Task<T?> ReadJsonAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            LogUnreadableState(path, e.Message);
            return null;
        }
    }

    // Write then rename, so a reader (or a silo killed mid-write) never sees half a file.
    private static async Task WriteJsonAsync<T>(string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, value, type, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static string? FindExecutable(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? DefaultPath;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin").Append("/bin")
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox of pod {Namespace}/{Pod} ({PodUid}) ready at {PodIP}")]
    private partial void LogSandboxCreated(string @namespace, string pod, string podUid, string podIP);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox of pod {PodUid} removed")]
    private partial void LogSandboxRemoved(string podUid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created container {ContainerId} for {Namespace}/{Pod} {Container} (attempt {Attempt})")]
    private partial void LogContainerCreated(string containerId, string @namespace, string pod, string container, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started container {ContainerId} as process group {Pid} (launcher {LauncherPid})")]
    private partial void LogContainerStarted(string containerId, int pid, int launcherPid);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sent {Signal} to process group {Pgid} of container {ContainerId}")]
    private partial void LogSignalled(string containerId, int pgid, string signal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Process group {Pgid} of container {ContainerId} survived SIGKILL")]
    private partial void LogGroupSurvived(string containerId, int pgid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed container {ContainerId}")]
    private partial void LogContainerRemoved(string containerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mount at {ContainerPath} not linked to {HostPath}: the path exists or cannot be created on this host")]
    private partial void LogMountNotLinked(string containerPath, string hostPath);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring unreadable runtime state {Path}: {Error}")]
    private partial void LogUnreadableState(string path, string error);
}
