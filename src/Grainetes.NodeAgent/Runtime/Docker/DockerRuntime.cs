using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.NodeAgent.Runtime.Docker;

/// <summary>
/// Runs pods on the Docker Engine API. Each pod has a sandbox: a small pause container that holds the pod's network
/// namespace (its IP on <see cref="DockerRuntimeOptions.Network"/> is the pod IP, host ports are published on it),
/// which the pod's containers join. Every container carries <see cref="DockerLabels"/>, so <see cref="ListAsync"/>
/// finds them again after a silo restart. Every call is bounded by <see cref="DockerRuntimeOptions.RequestTimeout"/>
/// (pulls by <see cref="DockerRuntimeOptions.PullTimeout"/>, stops by the grace period plus that).
/// </summary>
public sealed partial class DockerRuntime : IContainerRuntime, IDisposable
{
    private readonly DockerRuntimeOptions _options;
    private readonly ILogger<DockerRuntime> _logger;
    private readonly DockerClientConfiguration _configuration;
    private readonly DockerClient _client;
    private readonly string _volumeRoot;
    private readonly SemaphoreSlim _pauseImageLock = new(1, 1);
    private bool _pauseImageReady;

    public DockerRuntime(IOptions<DockerRuntimeOptions> options, ILogger<DockerRuntime> logger)
    {
        _options = options.Value;
        _logger = logger;

        // No client-wide timeout: streams (logs, exec) must outlive it; each call is bounded by its own token instead.
        _configuration = new DockerClientConfiguration(new Uri(_options.Endpoint), credentials: null, defaultTimeout: Timeout.InfiniteTimeSpan);
        _client = _configuration.CreateClient();
        _volumeRoot = _options.ResolveVolumeRoot();
    }

    public string Name => "docker";

    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        using var timeout = Bounded(cancellationToken);
        var version = await _client.System.GetVersionAsync(timeout.Token).ConfigureAwait(false);
        return "docker://" + version.Version;
    }

    public async Task<PodSandbox> EnsureSandboxAsync(PodSandboxSpec spec, CancellationToken cancellationToken)
    {
        var volumes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in spec.EmptyDirVolumes)
        {
            var path = Path.Combine(_volumeRoot, SafeName(spec.PodUid), SafeName(name));
            Directory.CreateDirectory(path);

            // Containers may run as any user: the volume is theirs to write, as a Kubernetes emptyDir is.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111);
            }
            volumes[name] = path;
        }

        // The kubelet writes these volumes' files and sets their directories' modes itself.
        foreach (var name in spec.FileVolumes ?? [])
        {
            var path = Path.Combine(_volumeRoot, SafeName(spec.PodUid), SafeName(name));
            Directory.CreateDirectory(path);
            volumes[name] = path;
        }

        var existing = await FindSandboxAsync(spec.PodUid, cancellationToken).ConfigureAwait(false);
        string id;
        if (existing is null)
        {
            await EnsurePauseImageAsync(cancellationToken).ConfigureAwait(false);
            id = await CreateSandboxAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            id = existing.ID;
        }

        using var timeout = Bounded(cancellationToken);
        var inspect = await _client.Containers.InspectContainerAsync(id, timeout.Token).ConfigureAwait(false);
        if (!inspect.State.Running)
        {
            await _client.Containers.StartContainerAsync(id, new ContainerStartParameters(), timeout.Token).ConfigureAwait(false);
            inspect = await _client.Containers.InspectContainerAsync(id, timeout.Token).ConfigureAwait(false);
        }

        var ip = inspect.NetworkSettings?.Networks is { } networks && networks.TryGetValue(_options.Network, out var endpoint)
            ? endpoint.IPAddress
            : inspect.NetworkSettings?.IPAddress;
        if (string.IsNullOrEmpty(ip))
        {
            throw new InvalidOperationException($"the sandbox of pod {spec.Namespace}/{spec.PodName} has no address on network \"{_options.Network}\"");
        }

        if (existing is null)
        {
            LogSandboxCreated(spec.Namespace, spec.PodName, spec.PodUid, id, ip);
        }

        return new PodSandbox(spec.PodUid, id, ip, volumes);
    }

    public async Task RemoveSandboxAsync(string podUid, CancellationToken cancellationToken)
    {
        var sandbox = await FindSandboxAsync(podUid, cancellationToken).ConfigureAwait(false);
        if (sandbox is not null)
        {
            await RemoveForcedAsync(sandbox.ID, cancellationToken).ConfigureAwait(false);
            LogSandboxRemoved(podUid, sandbox.ID);
        }

        var volumes = Path.Combine(_volumeRoot, SafeName(podUid));
        if (Directory.Exists(volumes))
        {
            Directory.Delete(volumes, recursive: true);
        }
    }

    public async Task EnsureImageAsync(string image, CancellationToken cancellationToken)
    {
        if (await ImageExistsAsync(image, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var reference = ImageReference.Parse(image);
        var progress = new PullProgress();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.PullTimeout);
        LogPulling(image);
        try
        {
            await _client.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = reference.Repository, Tag = reference.Tag },
                authConfig: null,
                progress,
                timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImagePullException(image, $"pull did not finish within {_options.PullTimeout}");
        }
        catch (DockerApiException e)
        {
            throw new ImagePullException(image, ApiMessage(e), e);
        }
        catch (HttpRequestException e)
        {
            throw new ImagePullException(image, e.Message, e);
        }

        // The Engine reports most pull failures in the progress stream, not as an HTTP error.
        if (progress.Error is { } error)
        {
            throw new ImagePullException(image, error);
        }

        if (!await ImageExistsAsync(image, cancellationToken).ConfigureAwait(false))
        {
            throw new ImagePullException(image, "the pull ended but the image is not there");
        }
    }

    public async Task<string> CreateContainerAsync(PodSandbox sandbox, ContainerSpec spec, CancellationToken cancellationToken)
    {
        var labels = new Dictionary<string, string>
        {
            [DockerLabels.Managed] = "true",
            [DockerLabels.Owner] = _options.Owner,
            [DockerLabels.PodUid] = spec.PodUid,
            [DockerLabels.PodName] = spec.PodName,
            [DockerLabels.PodNamespace] = spec.Namespace,
            [DockerLabels.ContainerName] = spec.ContainerName,
            [DockerLabels.ContainerAttempt] = spec.Attempt.ToString(CultureInfo.InvariantCulture),
            [DockerLabels.ContainerInit] = spec.IsInit ? "true" : "false",
        };
        var parameters = new CreateContainerParameters
        {
            Name = $"gnt_{spec.ContainerName}_{spec.PodName}_{spec.Namespace}_{spec.PodUid}_{spec.Attempt.ToString(CultureInfo.InvariantCulture)}",
            Image = spec.Image,

            // Kubernetes command replaces the entrypoint (and then the Engine drops the image's cmd too), args the cmd.
            Entrypoint = spec.Command?.ToList(),
            Cmd = spec.Args?.ToList(),
            Env = spec.Environment.Select(e => $"{e.Key}={e.Value}").ToList(),
            WorkingDir = spec.WorkingDir,
            Labels = labels,
            Tty = spec.Tty,
            OpenStdin = spec.Stdin,
            StdinOnce = spec.Stdin && spec.StdinOnce,
            HostConfig = new HostConfig
            {
                NetworkMode = "container:" + sandbox.SandboxId,
                IpcMode = "container:" + sandbox.SandboxId,
                Binds = spec.Mounts.Select(m => $"{m.HostPath}:{m.ContainerPath}{(m.ReadOnly ? ":ro" : "")}").ToList(),
                NanoCPUs = spec.CpuLimitMillis > 0 ? spec.CpuLimitMillis * 1_000_000 : 0,

                // Kubernetes' shares: 1024 per core requested, at least 2 (the kernel's minimum).
                CPUShares = spec.CpuRequestMillis > 0 ? Math.Max(2, spec.CpuRequestMillis * 1024 / 1000) : 0,
                Memory = spec.MemoryLimitBytes,
            },
        };

        using var timeout = Bounded(cancellationToken);
        try
        {
            var response = await _client.Containers.CreateContainerAsync(parameters, timeout.Token).ConfigureAwait(false);
            LogContainerCreated(response.ID, spec.Namespace, spec.PodName, spec.ContainerName, spec.Attempt);
            return response.ID;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // A retried create: the name (pod, container, attempt) is taken by the container made the first time.
            var existing = await _client.Containers.InspectContainerAsync(parameters.Name, timeout.Token).ConfigureAwait(false);
            if (existing.State.Status == "created")
            {
                return existing.ID;
            }

            throw new InvalidOperationException($"container {parameters.Name} already exists and has run; use a new attempt", e);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ImagePullException(spec.Image, "image not present; call EnsureImageAsync first", e);
        }
    }

    public async Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        using var timeout = Bounded(cancellationToken);
        await _client.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), timeout.Token).ConfigureAwait(false);
        LogContainerStarted(containerId);
    }

    public async Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        var seconds = (uint)Math.Max(0, Math.Ceiling(gracePeriod.TotalSeconds));
        using var timeout = Bounded(cancellationToken, TimeSpan.FromSeconds(seconds) + _options.RequestTimeout);
        try
        {
            await _client.Containers.StopContainerAsync(containerId, new ContainerStopParameters { WaitBeforeKillSeconds = seconds }, timeout.Token).ConfigureAwait(false);
            LogContainerStopped(containerId, seconds);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    public async Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        await RemoveForcedAsync(containerId, cancellationToken).ConfigureAwait(false);
        LogContainerRemoved(containerId);
    }

    public async Task<ContainerState?> InspectAsync(string containerId, CancellationToken cancellationToken)
    {
        using var timeout = Bounded(cancellationToken);
        ContainerInspectResponse inspect;
        try
        {
            inspect = await _client.Containers.InspectContainerAsync(containerId, timeout.Token).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var labels = inspect.Config?.Labels ?? new Dictionary<string, string>();
        return !labels.ContainsKey(DockerLabels.PodUid) ? null : StateOf(inspect, labels);
    }

    public Task<IReadOnlyList<ContainerState>> ListAsync(CancellationToken cancellationToken) =>
        ListInspectedAsync(cancellationToken, $"{DockerLabels.Managed}=true");

    // The daemon filters by the pod's label: a new or finishing pod does not inspect every container on the node.
    public Task<IReadOnlyList<ContainerState>> ListPodAsync(string podUid, CancellationToken cancellationToken) =>
        ListInspectedAsync(cancellationToken, $"{DockerLabels.Managed}=true", $"{DockerLabels.PodUid}={podUid}");

    private async Task<IReadOnlyList<ContainerState>> ListInspectedAsync(CancellationToken cancellationToken, params string[] labels)
    {
        using var timeout = Bounded(cancellationToken);
        var containers = await _client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = LabelFilter(Mine(labels)) },
            timeout.Token).ConfigureAwait(false);

        // The list lacks exit codes and times: inspect each (a host runs tens of containers, not thousands).
        var states = new List<ContainerState>();
        foreach (var container in containers.Where(c => c.Labels is not null && !c.Labels.ContainsKey(DockerLabels.Sandbox)))
        {
            if (await InspectAsync(container.ID, timeout.Token).ConfigureAwait(false) is { } state)
            {
                states.Add(state);
            }
        }

        return states;
    }

    public async Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        var output = new StringBuilder();
        try
        {
            var exec = await _client.Exec.ExecCreateContainerAsync(
                containerId,
                new ContainerExecCreateParameters { Cmd = command.ToList(), AttachStdout = true, AttachStderr = true },
                bounded.Token).ConfigureAwait(false);
            using (var stream = await _client.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, bounded.Token).ConfigureAwait(false))
            {
                var buffer = new byte[8192];
                var decoder = Encoding.UTF8.GetDecoder();
                var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
                while (true)
                {
                    var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, bounded.Token).ConfigureAwait(false);
                    if (read.EOF)
                    {
                        break;
                    }

                    var count = decoder.GetChars(buffer, 0, read.Count, chars, 0, flush: false);
                    output.Append(chars, 0, count);
                }
            }

            // The output ends when the command's streams close, a moment before the Engine records its exit code.
            while (true)
            {
                var inspect = await _client.Exec.InspectContainerExecAsync(exec.ID, bounded.Token).ConfigureAwait(false);
                if (!inspect.Running)
                {
                    return new ExecResult((int)inspect.ExitCode, output.ToString(), TimedOut: false);
                }

                await Task.Delay(20, bounded.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The Engine cannot kill an exec; the command runs on in the container until it ends by itself.
            LogExecTimedOut(containerId, timeout);
            return new ExecResult(-1, output.ToString(), TimedOut: true);
        }
    }

    public async IAsyncEnumerable<string> ReadLogsAsync(string containerId, LogOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool tty;
        using (var timeout = Bounded(cancellationToken))
        {
            var inspect = await _client.Containers.InspectContainerAsync(containerId, timeout.Token).ConfigureAwait(false);
            tty = inspect.Config?.Tty ?? false;
        }

        var parameters = new ContainerLogsParameters
        {
            ShowStdout = true,
            ShowStderr = true,
            Follow = options.Follow,
            Timestamps = options.Timestamps,
            Tail = options.TailLines is { } tail ? Math.Max(0, tail).ToString(CultureInfo.InvariantCulture) : "all",
            Since = options.Since is { } since ? since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) : null,
        };

        // Only the open of a non-following read is bounded: a follow lasts as long as the container (or the caller) wants.
        MultiplexedStream stream;
        using (var timeout = options.Follow ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken) : Bounded(cancellationToken))
        {
            stream = await _client.Containers.GetContainerLogsAsync(containerId, tty, parameters, timeout.Token).ConfigureAwait(false);
        }

        using (stream)
        {
            // stdout and stderr arrive in frames; each keeps its own partial line so the two never splice.
            var lines = new Dictionary<MultiplexedStream.TargetStream, (Decoder Decoder, StringBuilder Line)>();
            var buffer = new byte[16 * 1024];
            var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
            var ready = new List<string>();
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
                if (read.EOF)
                {
                    break;
                }

                if (!lines.TryGetValue(read.Target, out var state))
                {
                    state = (Encoding.UTF8.GetDecoder(), new StringBuilder());
                    lines[read.Target] = state;
                }

                var count = state.Decoder.GetChars(buffer, 0, read.Count, chars, 0, flush: false);
                for (var i = 0; i < count; i++)
                {
                    if (chars[i] == '\n')
                    {
                        ready.Add(TrimCarriageReturn(state.Line));
                        state.Line.Clear();
                    }
                    else
                    {
                        state.Line.Append(chars[i]);
                    }
                }

                foreach (var line in ready)
                {
                    yield return line;
                }

                ready.Clear();
            }

            foreach (var (_, (_, line)) in lines)
            {
                if (line.Length > 0)
                {
                    yield return TrimCarriageReturn(line);
                }
            }
        }
    }

    public async Task<IReadOnlyList<ContainerUsageSample>> SampleUsageAsync(IReadOnlyCollection<string> containerIds, CancellationToken cancellationToken)
    {
        // One-shot stats (API 1.41+) answer at once instead of waiting a second for a second cpu reading.
        using var limit = new SemaphoreSlim(4);
        var samples = await Task.WhenAll(containerIds.Select(async id =>
        {
            await limit.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await StatsOfAsync(id, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                limit.Release();
            }
        })).ConfigureAwait(false);
        return samples.OfType<ContainerUsageSample>().ToList();
    }

    public void Dispose()
    {
        _client.Dispose();
        _configuration.Dispose();
        _pauseImageLock.Dispose();
    }

    private async Task<ContainerUsageSample?> StatsOfAsync(string containerId, CancellationToken cancellationToken)
    {
        using var timeout = Bounded(cancellationToken);
        var last = new LastReport<ContainerStatsResponse>();
        try
        {
            await _client.Containers.GetContainerStatsAsync(containerId, new ContainerStatsParameters { Stream = false, OneShot = true }, last, timeout.Token).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (last.Value is not { CPUStats.CPUUsage: not null, MemoryStats: not null } stats || stats.Read == default)
        {
            return null;
        }

        // The working set, as the kubelet and `docker stats` count it: usage less the inactive file cache.
        var memory = stats.MemoryStats;
        var inactive = memory.Stats is null ? 0UL
            : memory.Stats.TryGetValue("total_inactive_file", out var v1) ? v1
            : memory.Stats.TryGetValue("inactive_file", out var v2) ? v2 : 0UL;
        var workingSet = inactive < memory.Usage ? memory.Usage - inactive : 0UL;
        return new ContainerUsageSample(
            containerId,
            new DateTimeOffset(DateTime.SpecifyKind(stats.Read, DateTimeKind.Utc)),
            (long)stats.CPUStats.CPUUsage.TotalUsage,
            (long)workingSet);
    }

    private ContainerState StateOf(ContainerInspectResponse inspect, IDictionary<string, string> labels)
    {
        var state = inspect.State;
        var status = state.Status switch
        {
            "created" => ContainerStatus.Created,
            "running" or "paused" or "restarting" => ContainerStatus.Running,
            _ => ContainerStatus.Exited,
        };
        int? exitCode = status == ContainerStatus.Exited ? (int)state.ExitCode : null;
        string? reason = status != ContainerStatus.Exited ? null
            : state.OOMKilled ? "OOMKilled"
            : exitCode == 0 ? "Completed"
            : "Error";
        return new ContainerState
        {
            ContainerId = inspect.ID,
            PodUid = labels[DockerLabels.PodUid],
            Namespace = labels.TryGetValue(DockerLabels.PodNamespace, out var ns) ? ns : "",
            PodName = labels.TryGetValue(DockerLabels.PodName, out var pod) ? pod : "",
            ContainerName = labels.TryGetValue(DockerLabels.ContainerName, out var name) ? name : "",
            Attempt = labels.TryGetValue(DockerLabels.ContainerAttempt, out var attempt) && int.TryParse(attempt, CultureInfo.InvariantCulture, out var n) ? n : 0,
            IsInit = labels.TryGetValue(DockerLabels.ContainerInit, out var init) && init == "true",
            Image = inspect.Config?.Image ?? inspect.Image,
            ImageId = inspect.Image,
            Status = status,
            StartedAt = ParseTime(state.StartedAt),
            FinishedAt = status == ContainerStatus.Exited ? ParseTime(state.FinishedAt) : null,
            ExitCode = exitCode,
            Reason = reason,
            Message = string.IsNullOrEmpty(state.Error) ? null : state.Error,
        };
    }

    private async Task<string> CreateSandboxAsync(PodSandboxSpec spec, CancellationToken cancellationToken)
    {
        var exposed = new Dictionary<string, EmptyStruct>();
        var bindings = new Dictionary<string, IList<PortBinding>>();
        foreach (var port in spec.HostPorts)
        {
            var key = $"{port.ContainerPort.ToString(CultureInfo.InvariantCulture)}/{port.Protocol.ToLowerInvariant()}";
            exposed[key] = default;
            if (port.HostPort is { } hostPort)
            {
                if (!bindings.TryGetValue(key, out var list))
                {
                    list = new List<PortBinding>();
                    bindings[key] = list;
                }

                list.Add(new PortBinding { HostIP = port.HostIP ?? "", HostPort = hostPort.ToString(CultureInfo.InvariantCulture) });
            }
        }

        var parameters = new CreateContainerParameters
        {
            Name = $"gnt_sandbox_{spec.PodName}_{spec.Namespace}_{spec.PodUid}",
            Image = _options.PauseImage,
            Hostname = spec.PodName.Length <= 63 ? spec.PodName : spec.PodName[..63],
            Labels = new Dictionary<string, string>
            {
                [DockerLabels.Managed] = "true",
                [DockerLabels.Owner] = _options.Owner,
                [DockerLabels.Sandbox] = "true",
                [DockerLabels.PodUid] = spec.PodUid,
                [DockerLabels.PodName] = spec.PodName,
                [DockerLabels.PodNamespace] = spec.Namespace,
            },
            ExposedPorts = exposed,
            HostConfig = new HostConfig
            {
                NetworkMode = _options.Network,
                PortBindings = bindings,
                IpcMode = "shareable",
            },
        };

        using var timeout = Bounded(cancellationToken);
        try
        {
            var response = await _client.Containers.CreateContainerAsync(parameters, timeout.Token).ConfigureAwait(false);
            return response.ID;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Created concurrently (or listed just before it was made): the name is the pod's, so it is the sandbox.
            var existing = await _client.Containers.InspectContainerAsync(parameters.Name, timeout.Token).ConfigureAwait(false);
            return existing.ID;
        }
    }

    private async Task<ContainerListResponse?> FindSandboxAsync(string podUid, CancellationToken cancellationToken)
    {
        using var timeout = Bounded(cancellationToken);
        var found = await _client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = LabelFilter(Mine($"{DockerLabels.Sandbox}=true", $"{DockerLabels.PodUid}={podUid}")) },
            timeout.Token).ConfigureAwait(false);
        return found.FirstOrDefault();
    }

    private async Task EnsurePauseImageAsync(CancellationToken cancellationToken)
    {
        if (_pauseImageReady)
        {
            return;
        }

        await _pauseImageLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_pauseImageReady && !await ImageExistsAsync(_options.PauseImage, cancellationToken).ConfigureAwait(false))
            {
                // No registry to pull a pause image from: import one made of a static busybox.
                if (!File.Exists(_options.BusyboxPath))
                {
                    throw new InvalidOperationException(
                        $"the pause image {_options.PauseImage} is missing and cannot be built: no static busybox at {_options.BusyboxPath} (Debian package busybox-static)");
                }

                var reference = ImageReference.Parse(_options.PauseImage);
                await using var archive = await PauseImageArchive.CreateAsync(_options.BusyboxPath, cancellationToken).ConfigureAwait(false);
                var progress = new PullProgress();
                using var timeout = Bounded(cancellationToken);
                await _client.Images.CreateImageAsync(
                    new ImagesCreateParameters { FromSrc = "-", Repo = reference.Repository, Tag = reference.Tag, Changes = [PauseImageArchive.Command] },
                    archive,
                    authConfig: null,
                    progress,
                    timeout.Token).ConfigureAwait(false);
                if (progress.Error is { } error)
                {
                    throw new InvalidOperationException($"importing the pause image {_options.PauseImage} failed: {error}");
                }

                LogPauseImageBuilt(_options.PauseImage, _options.BusyboxPath);
            }

            _pauseImageReady = true;
        }
        finally
        {
            _pauseImageLock.Release();
        }
    }

    private async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken)
    {
        using var timeout = Bounded(cancellationToken);
        try
        {
            await _client.Images.InspectImageAsync(image, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task RemoveForcedAsync(string containerId, CancellationToken cancellationToken)
    {
        using var timeout = Bounded(cancellationToken);
        try
        {
            await _client.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, timeout.Token).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private CancellationTokenSource Bounded(CancellationToken cancellationToken, TimeSpan? limit = null)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(limit ?? _options.RequestTimeout);
        return source;
    }

    /// <summary>Adds this agent's owner label to a filter, when it has one.</summary>
    private string[] Mine(params string[] labels) =>
        _options.Owner.Length == 0 ? labels : [.. labels, $"{DockerLabels.Owner}={_options.Owner}"];

    private static Dictionary<string, IDictionary<string, bool>> LabelFilter(params string[] labels) =>
        new() { ["label"] = labels.ToDictionary(l => l, _ => true) };

    private static DateTimeOffset? ParseTime(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) && time.Year > 1 ? time : null;

    private static string TrimCarriageReturn(StringBuilder line)
    {
        if (line.Length > 0 && line[^1] == '\r')
        {
            line.Length--;
        }

        return line.ToString();
    }

    private static string ApiMessage(DockerApiException e) =>
        string.IsNullOrWhiteSpace(e.ResponseBody) ? e.Message : e.ResponseBody.Trim();

    private static string SafeName(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw new ArgumentException($"\"{name}\" cannot name a directory", nameof(name));
        }

        return name;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox of pod {Namespace}/{Pod} ({PodUid}) is container {SandboxId} at {PodIP}")]
    private partial void LogSandboxCreated(string @namespace, string pod, string podUid, string sandboxId, string podIP);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox {SandboxId} of pod {PodUid} removed")]
    private partial void LogSandboxRemoved(string podUid, string sandboxId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulling image {Image}")]
    private partial void LogPulling(string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "Built the pause image {Image} from {Busybox}")]
    private partial void LogPauseImageBuilt(string image, string busybox);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created container {ContainerId} for {Namespace}/{Pod} {Container} (attempt {Attempt})")]
    private partial void LogContainerCreated(string containerId, string @namespace, string pod, string container, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started container {ContainerId}")]
    private partial void LogContainerStarted(string containerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped container {ContainerId} (grace {GraceSeconds} s)")]
    private partial void LogContainerStopped(string containerId, uint graceSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed container {ContainerId}")]
    private partial void LogContainerRemoved(string containerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Exec in container {ContainerId} timed out after {Timeout}")]
    private partial void LogExecTimedOut(string containerId, TimeSpan timeout);

    /// <summary>Keeps the first error of a pull or import; the Engine reports those in the stream, not as HTTP errors.</summary>
    private sealed class PullProgress : IProgress<JSONMessage>
    {
        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            var error = value.ErrorMessage ?? value.Error?.Message;
            if (!string.IsNullOrEmpty(error))
            {
                Error ??= error;
            }
        }
    }

    /// <summary>Keeps the last report synchronously (<see cref="Progress{T}"/> would post it after the call returned).</summary>
    private sealed class LastReport<T> : IProgress<T>
    {
        public T? Value { get; private set; }

        public void Report(T value) => Value = value;
    }
}
