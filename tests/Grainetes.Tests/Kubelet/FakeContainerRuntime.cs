using System.Runtime.CompilerServices;
using Grainetes.NodeAgent.Runtime;

namespace Grainetes.Tests.Kubelet;

/// <summary>An in-memory container runtime: containers run until a test exits them (or <see cref="ExitOnStart"/> says they exit at once).</summary>
internal sealed class FakeContainerRuntime(TimeProvider time) : IContainerRuntime
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, ContainerState> containers = [];
    private readonly List<ContainerSpec> created = [];
    private readonly List<(string Id, TimeSpan Grace)> stops = [];
    private readonly List<string> removed = [];
    private readonly List<(string Name, int Attempt, DateTimeOffset At)> starts = [];
    private readonly List<string> pulls = [];
    private readonly HashSet<string> failingImages = [];
    private int nextId;

    public string Name => "fake";

    public string PodIP { get; set; } = "10.1.0.5";

    /// <summary>When it returns a code, a started container exits with it at once (init containers, crashing apps).</summary>
    public Func<ContainerSpec, int?> ExitOnStart { get; set; } = _ => null;

    /// <summary>The outcome of exec probes.</summary>
    public Func<ContainerState, IReadOnlyList<string>, ExecResult> Exec { get; set; } = (_, _) => new ExecResult(0, "", false);

    /// <summary>The exit code a stopped container reports (SIGTERM).</summary>
    public int StopExitCode { get; set; } = 143;

    public int SandboxRemovals { get; private set; }

    public IReadOnlyList<ContainerSpec> Created { get { lock (gate) return [.. created]; } }

    public IReadOnlyList<(string Id, TimeSpan Grace)> Stops { get { lock (gate) return [.. stops]; } }

    public IReadOnlyList<string> Removed { get { lock (gate) return [.. removed]; } }

    public IReadOnlyList<(string Name, int Attempt, DateTimeOffset At)> Starts { get { lock (gate) return [.. starts]; } }

    public IReadOnlyList<string> Pulls { get { lock (gate) return [.. pulls]; } }

    public IReadOnlyList<ContainerState> All { get { lock (gate) return [.. containers.Values]; } }

    public void FailImage(string image, bool fail = true)
    {
        lock (gate)
        {
            if (fail) failingImages.Add(image);
            else failingImages.Remove(image);
        }
    }

    /// <summary>Puts a container in place as if a previous silo had started it.</summary>
    public void Seed(ContainerState state)
    {
        lock (gate) containers[state.ContainerId] = state;
    }

    /// <summary>Makes the newest running instance of a container exit.</summary>
    public void Exit(string containerName, int exitCode)
    {
        lock (gate)
        {
            var running = containers.Values.Where(c => c.ContainerName == containerName && c.Status == ContainerStatus.Running)
                .OrderByDescending(c => c.Attempt).First();
            containers[running.ContainerId] = Exited(running, exitCode);
        }
    }

    public ContainerState? Latest(string containerName)
    {
        lock (gate) return containers.Values.Where(c => c.ContainerName == containerName).MaxBy(c => c.Attempt);
    }

    public Task<string> VersionAsync(CancellationToken cancellationToken) => Task.FromResult("fake://1.0");

    /// <summary>Where the directories of Secret, ConfigMap and projected volumes go (the kubelet writes real files there); set by tests that use them.</summary>
    public string? FileVolumeRoot { get; set; }

    public Task<PodSandbox> EnsureSandboxAsync(PodSandboxSpec spec, CancellationToken cancellationToken)
    {
        var paths = spec.EmptyDirVolumes.ToDictionary(v => v, v => $"/var/fake/{spec.PodUid}/{v}");
        foreach (var volume in spec.FileVolumes ?? [])
        {
            if (FileVolumeRoot is null) continue;
            var path = Path.Combine(FileVolumeRoot, spec.PodUid, volume);
            Directory.CreateDirectory(path);
            paths[volume] = path;
        }

        return Task.FromResult(new PodSandbox(spec.PodUid, "sandbox-" + spec.PodUid, PodIP, paths));
    }

    public Task RemoveSandboxAsync(string podUid, CancellationToken cancellationToken)
    {
        lock (gate) SandboxRemovals++;
        return Task.CompletedTask;
    }

    public Task EnsureImageAsync(string image, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            pulls.Add(image);
            if (failingImages.Contains(image)) throw new ImagePullException(image, "manifest unknown");
        }

        return Task.CompletedTask;
    }

    public Task<string> CreateContainerAsync(PodSandbox sandbox, ContainerSpec spec, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var id = $"c{++nextId}";
            created.Add(spec);
            containers[id] = new ContainerState
            {
                ContainerId = id,
                PodUid = spec.PodUid,
                Namespace = spec.Namespace,
                PodName = spec.PodName,
                ContainerName = spec.ContainerName,
                Attempt = spec.Attempt,
                IsInit = spec.IsInit,
                Image = spec.Image,
                ImageId = "sha256:" + spec.Image,
                Status = ContainerStatus.Created,
            };
            return Task.FromResult(id);
        }
    }

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var state = containers[containerId] with { Status = ContainerStatus.Running, StartedAt = time.GetUtcNow() };
            starts.Add((state.ContainerName, state.Attempt, time.GetUtcNow()));
            var spec = created.Last(s => s.ContainerName == state.ContainerName && s.Attempt == state.Attempt);
            containers[containerId] = ExitOnStart(spec) is { } code ? Exited(state, code) : state;
        }

        return Task.CompletedTask;
    }

    public Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            stops.Add((containerId, gracePeriod));
            if (containers.TryGetValue(containerId, out var state) && state.Status != ContainerStatus.Exited)
            {
                containers[containerId] = Exited(state, StopExitCode);
            }
        }

        return Task.CompletedTask;
    }

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            removed.Add(containerId);
            containers.Remove(containerId);
        }

        return Task.CompletedTask;
    }

    public Task<ContainerState?> InspectAsync(string containerId, CancellationToken cancellationToken)
    {
        lock (gate) return Task.FromResult(containers.GetValueOrDefault(containerId));
    }

    public Task<IReadOnlyList<ContainerState>> ListAsync(CancellationToken cancellationToken)
    {
        lock (gate) return Task.FromResult<IReadOnlyList<ContainerState>>([.. containers.Values]);
    }

    public Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ContainerState state;
        lock (gate) state = containers[containerId];
        return Task.FromResult(Exec(state, command));
    }

    public async IAsyncEnumerable<string> ReadLogsAsync(string containerId, LogOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield return $"log of {containerId}";
    }

    /// <summary>The cumulative cpu time a running container reports (a test sets it to drive rates).</summary>
    public Func<ContainerState, long> CpuNanoseconds { get; set; } = _ => 0;

    public Task<IReadOnlyList<ContainerUsageSample>> SampleUsageAsync(IReadOnlyCollection<string> containerIds, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            IReadOnlyList<ContainerUsageSample> samples = containerIds
                .Where(id => containers.TryGetValue(id, out var c) && c.Status == ContainerStatus.Running)
                .Select(id => new ContainerUsageSample(id, time.GetUtcNow(), CpuNanoseconds(containers[id]), 1024 * 1024))
                .ToList();
            return Task.FromResult(samples);
        }
    }

    private ContainerState Exited(ContainerState state, int exitCode) => state with
    {
        Status = ContainerStatus.Exited,
        ExitCode = exitCode,
        FinishedAt = time.GetUtcNow(),
        Reason = exitCode == 0 ? "Completed" : "Error",
    };
}
