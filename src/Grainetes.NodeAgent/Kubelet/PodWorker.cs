using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Grainetes.Abstractions.Telemetry;
using Grainetes.NodeAgent.Runtime;
using Microsoft.Extensions.Logging;
using static Grainetes.NodeAgent.Kubelet.PodJson;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>
/// Owns one pod on this node: brings its containers to what the spec asks, follows them, probes them,
/// reports the pod's status and, once the pod is marked for deletion, stops everything and reports it gone.
/// The loop is level-triggered: every sync looks at the runtime afresh and does the next step, so a sync
/// that fails half-way (or a silo restart) is repaired by the next one. A sync that follows a traced change of the
/// pod is a span in that change's trace (and so are the container starts and runtime calls it makes); it measures
/// the pod's startup (creation to Ready) and counts container restarts.
/// </summary>
public sealed class PodWorker
{
    private readonly IContainerRuntime runtime;
    private readonly IPodHost host;
    private readonly KubeletOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly GrainetesTelemetry? telemetry;
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<ContainerRecord> initRecords = [];
    private readonly List<ContainerRecord> appRecords = [];

    // A Secret volume's directory keeps other host users out; the files' own modes are the pod's to choose.
    private const UnixFileMode SecretVolumeMode = (UnixFileMode)0b111_000_000;
    private const UnixFileMode VolumeMode = (UnixFileMode)0b111_101_101;

    private volatile JsonObject pod;
    private volatile Snapshot snapshot = new([], ImmutableDictionary<string, (string?, string?)>.Empty);
    private PodSandbox? sandbox;
    private bool adopted;
    private bool initialized;
    private DateTimeOffset? startTime;
    private JsonObject? lastReported;
    private string? lastReportedJson;
    private ProbeRunner? probes;
    private volatile SyncProgress progress = new(0, DateTimeOffset.MinValue);
    private string? pendingTrace;
    private bool startupMeasured;
    private bool volumesReady;
    private DateTimeOffset volumesDueAt = DateTimeOffset.MinValue;
    private TimeSpan? volumeRetryDelay;
    private readonly Dictionary<string, string> mountErrors = new(StringComparer.Ordinal);

    public PodWorker(
        JsonObject pod,
        IContainerRuntime runtime,
        IPodHost host,
        KubeletOptions options,
        TimeProvider time,
        ILogger logger,
        GrainetesTelemetry? telemetry = null,
        string? traceParent = null)
    {
        this.pod = pod;
        this.telemetry = telemetry;
        pendingTrace = traceParent;

        // A pod that was Ready before this worker (a silo restart) has no startup left to measure.
        startupMeasured = IsReady(Node(pod, "status") as JsonObject);
        this.runtime = runtime;
        this.host = host;
        this.options = options;
        this.time = time;
        this.logger = logger;
        Uid = Str(pod, "metadata", "uid") ?? throw new ArgumentException("the pod has no metadata.uid", nameof(pod));
        Namespace = Str(pod, "metadata", "namespace") ?? "default";
        Name = Str(pod, "metadata", "name") ?? throw new ArgumentException("the pod has no metadata.name", nameof(pod));
        foreach (var spec in Objects(pod, "spec", "initContainers"))
        {
            initRecords.Add(new ContainerRecord(Str(spec, "name") ?? "", isInit: true) { Spec = spec });
        }

        foreach (var spec in Objects(pod, "spec", "containers"))
        {
            appRecords.Add(new ContainerRecord(Str(spec, "name") ?? "", isInit: false) { Spec = spec });
        }
    }

    public string Uid { get; }

    public string Namespace { get; }

    public string Name { get; }

    /// <summary>The pod as last given to the worker.</summary>
    public JsonObject Pod => pod;

    /// <summary>The pod's sandbox once made (its IP is where port-forward connects).</summary>
    public PodSandbox? Sandbox => sandbox;

    /// <summary>Every runtime container of this pod the worker knows: each name's current instance and the one before it.</summary>
    public IReadOnlyList<ContainerState> Containers => snapshot.Containers;

    /// <summary>
    /// The runtime id of a container for <c>kubectl logs</c>: its current instance, or with <paramref name="previous"/>
    /// the last terminated one (the instance <c>lastState</c> shows). Null when there is none.
    /// </summary>
    public string? FindContainerId(string containerName, bool previous = false) =>
        snapshot.Ids.TryGetValue(containerName, out var ids) ? previous ? ids.Previous : ids.Current : null;

    /// <summary>How many syncs have finished and when the worker next wakes by itself: lets tests move manual time exactly as far as the worker waits.</summary>
    internal SyncProgress Progress => progress;

    /// <summary>
    /// A new version of the pod (a deletion mark, a new image); the worker acts on it at its next sync, which this wakes
    /// and which continues <paramref name="traceParent"/>, the trace of the change, when there is one.
    /// </summary>
    public void Update(JsonObject pod, string? traceParent = null)
    {
        if (Str(pod, "metadata", "uid") != Uid) return;
        this.pod = pod;
        if (traceParent is not null) Volatile.Write(ref pendingTrace, traceParent);
        wake.Writer.TryWrite(true);
    }

    /// <summary>Runs the sync loop until the pod has terminated and been reported gone, or until cancelled (containers keep running then, for a later worker to adopt).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,

            // Probes check liveness, not identity: the kubelet does not verify certificates either.
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        probes = new ProbeRunner(runtime, http, time);

        // Each sync picks its own trace: the worker's loop belongs to none.
        Activity.Current = null;
        telemetry?.RecordContainerRestart(host.NodeName, Namespace, count: 0);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var span = StartSync();
                try
                {
                    if (await SyncAsync(cancellationToken))
                    {
                        return;
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    span?.SetStatus(ActivityStatusCode.Error, e.Message);
                    PodWorkerLog.SyncFailed(logger, e, Namespace, Name);
                }
                finally
                {
                    UpdateSnapshot();
                    span?.Dispose();
                }

                var delay = NextWake();
                progress = new SyncProgress(progress.Syncs + 1, time.GetUtcNow() + delay);
                await WaitAsync(delay, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancellation is the silo stopping; the containers stay for the next worker.
        }
    }

    /// <summary>A span for a sync that follows a traced change of the pod; periodic syncs stay untraced.</summary>
    private Activity? StartSync()
    {
        var trace = Interlocked.Exchange(ref pendingTrace, null);
        if (trace is null || telemetry is null) return null;
        var span = telemetry.StartSpan("sync pod", trace);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("k8s.namespace", Namespace);
            span.SetTag("k8s.name", Name);
            span.SetTag("k8s.pod.uid", Uid);
            span.SetTag("k8s.node", host.NodeName);
        }

        return span;
    }

    /// <summary>One pass over the pod; true once it has terminated and been reported gone.</summary>
    private async Task<bool> SyncAsync(CancellationToken cancellationToken)
    {
        var current = pod;
        RefreshSpecs(current);
        startTime ??= Time(current, "status", "startTime") ?? time.GetUtcNow();
        if (!adopted)
        {
            await AdoptAsync(cancellationToken);
            adopted = true;
        }
        else
        {
            await RefreshAsync(cancellationToken);
        }

        if (Node(current, "metadata", "deletionTimestamp") is not null)
        {
            return await TerminateAsync(current, cancellationToken);
        }

        if (!IsTerminal)
        {
            // A container that stopped may have stopped with its sandbox (a runtime restart stops both): ensure
            // the sandbox runs again before a container rejoins its network namespace.
            if (sandbox is null || appRecords.Any(r => r.Current is { Status: ContainerStatus.Exited }))
            {
                sandbox = await runtime.EnsureSandboxAsync(SandboxSpec(current), cancellationToken);
            }
            if (await SyncVolumesAsync(current, cancellationToken) && await SyncInitContainersAsync(current, cancellationToken))
            {
                await SyncAppContainersAsync(current, cancellationToken);
                await RunProbesAsync(current, cancellationToken);
            }
        }

        await ReportAsync(current, null, cancellationToken);
        return false;
    }

    /// <summary>Takes the container specs of the newest pod version; an image change (the one mutable part) restarts the container.</summary>
    private void RefreshSpecs(JsonObject current)
    {
        foreach (var record in initRecords.Concat(appRecords))
        {
            var path = record.IsInit ? "initContainers" : "containers";
            if (Objects(current, "spec", path).FirstOrDefault(c => Str(c, "name") == record.Name) is not { } spec) continue;
            if (!record.IsInit && Str(record.Spec, "image") != Str(spec, "image")) record.ImageChanged = true;
            record.Spec = spec;
        }
    }

    private bool IsTerminal => Str(lastReported, "phase") is "Succeeded" or "Failed";

    private string RestartPolicy(JsonObject current) => Str(current, "spec", "restartPolicy") ?? "Always";

    /// <summary>Takes over the containers a previous worker (before a silo restart) left, so that none is started twice.</summary>
    private async Task AdoptAsync(CancellationToken cancellationToken)
    {
        var mine = await runtime.ListPodAsync(Uid, cancellationToken);
        var adoptedCount = 0;
        foreach (var group in mine.GroupBy(c => (c.ContainerName, c.IsInit)))
        {
            var record = (group.Key.IsInit ? initRecords : appRecords).FirstOrDefault(r => r.Name == group.Key.ContainerName);
            var ordered = group.OrderByDescending(c => c.Attempt).ToList();
            var keep = record is null ? 0 : Math.Min(2, ordered.Count);
            if (record is not null)
            {
                record.Current = ordered[0];
                record.Previous = ordered.Count > 1 ? ordered[1] : null;
                adoptedCount += keep;
                if (!record.IsInit) initialized = true;
            }

            foreach (var stale in ordered.Skip(keep))
            {
                await RemoveQuietlyAsync(stale.ContainerId, cancellationToken);
            }
        }

        if (adoptedCount > 0)
        {
            // Started by an earlier worker: its startup is not this worker's to measure, and its volumes were written.
            startupMeasured = true;
            volumesReady = true;
            PodWorkerLog.Adopted(logger, adoptedCount, Namespace, Name);
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        foreach (var record in initRecords.Concat(appRecords))
        {
            if (record.Current is { Status: not ContainerStatus.Exited } live)
            {
                record.Current = await runtime.InspectAsync(live.ContainerId, cancellationToken) ?? live with
                {
                    // The runtime lost it (removed behind our back): the kubelet's ContainerStatusUnknown.
                    Status = ContainerStatus.Exited,
                    ExitCode = 137,
                    Reason = "ContainerStatusUnknown",
                    Message = "The container could not be located when the pod was terminated",
                    FinishedAt = time.GetUtcNow(),
                };
            }
        }
    }

    /// <summary>
    /// Writes the files of the pod's Secret, ConfigMap and projected volumes, and refreshes them every
    /// <see cref="KubeletOptions.VolumeRefreshPeriod"/>. True once every one has been written, which containers wait
    /// for (they show <c>ContainerCreating</c> and the pod a <c>FailedMount</c> event until then, retried with
    /// back-off); a refresh that fails later leaves the last files in place and the containers running, as in Kubernetes.
    /// </summary>
    private async Task<bool> SyncVolumesAsync(JsonObject current, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now < volumesDueAt) return volumesReady;
        var projector = new VolumeProjector(host, Namespace);
        var allWritten = true;
        foreach (var volume in Objects(current, "spec", "volumes").Where(VolumeProjector.IsFileVolume))
        {
            var name = Str(volume, "name") ?? "";
            string? error = null;
            try
            {
                if (!sandbox!.VolumePaths.TryGetValue(name, out var directory))
                {
                    error = "the runtime made no directory for it";
                }
                else
                {
                    var files = await projector.ProjectAsync(volume, cancellationToken);
                    var mode = VolumeProjector.HoldsSecrets(volume) ? SecretVolumeMode : VolumeMode;
                    if (AtomicWriter.Write(directory, files, mode)) PodWorkerLog.VolumeWritten(logger, name, Namespace, Name);
                }
            }
            catch (Exception e) when (e is VolumeMountException or IOException or UnauthorizedAccessException)
            {
                error = e.Message;
            }

            if (error is null)
            {
                mountErrors.Remove(name);
                continue;
            }

            allWritten = false;
            var message = $"MountVolume.SetUp failed for volume \"{name}\" : {error}";
            if (mountErrors.GetValueOrDefault(name) != message)
            {
                mountErrors[name] = message;
                PodWorkerLog.VolumeFailed(logger, name, Namespace, Name, error);
                await EventAsync(current, "Warning", "FailedMount", message, null, cancellationToken);
            }
        }

        if (allWritten || volumesReady)
        {
            volumesReady = true;
            volumeRetryDelay = null;
            volumesDueAt = now + options.VolumeRefreshPeriod;
        }
        else
        {
            volumeRetryDelay = volumeRetryDelay is { } last ? Min(last * 2, options.VolumeRefreshPeriod) : options.SyncPeriod;
            volumesDueAt = now + volumeRetryDelay.Value;
        }

        return volumesReady;
    }

    /// <summary>Runs the init containers one after another; true once all have completed.</summary>
    private async Task<bool> SyncInitContainersAsync(JsonObject current, CancellationToken cancellationToken)
    {
        if (initialized) return true;
        foreach (var record in initRecords)
        {
            if (Completed(record)) continue;
            switch (record.Current)
            {
                case null:
                    await StartAsync(current, record, cancellationToken);
                    break;
                case { Status: ContainerStatus.Created } created:
                    await StartCreatedAsync(current, record, created, cancellationToken);
                    break;
                case { Status: ContainerStatus.Exited } exited when exited.ExitCode != 0:
                    if (RestartPolicy(current) != "Never")
                    {
                        await RestartWithBackoffAsync(current, record, cancellationToken);
                    }

                    break;
            }

            if (!Completed(record)) return false;
            record.AwaitingRestart = false;
        }

        initialized = true;
        return true;
    }

    private static bool Completed(ContainerRecord record) =>
        record.Current is { Status: ContainerStatus.Exited, ExitCode: 0 } && record.WaitingReason is null;

    private async Task SyncAppContainersAsync(JsonObject current, CancellationToken cancellationToken)
    {
        var policy = RestartPolicy(current);
        await Task.WhenAll(appRecords.Select(record => SyncAppContainerAsync(current, policy, record, cancellationToken)));
    }

    private async Task SyncAppContainerAsync(JsonObject current, string policy, ContainerRecord record, CancellationToken cancellationToken)
    {
        if (record.ImageChanged && record.Current is { Status: ContainerStatus.Running })
        {
            record.ImageChanged = false;
            await KillAsync(current, record, $"Container {record.Name} definition changed, will be restarted", cancellationToken);
            record.RestartNow = true;
        }

        switch (record.Current)
        {
            case null:
                await StartAsync(current, record, cancellationToken);
                break;
            case { Status: ContainerStatus.Created } created:
                await StartCreatedAsync(current, record, created, cancellationToken);
                break;
            case { Status: ContainerStatus.Exited } exited:
                var restart = record.RestartNow || policy switch
                {
                    "Always" => true,
                    "OnFailure" => exited.ExitCode != 0,
                    _ => false,
                };
                if (restart)
                {
                    await RestartWithBackoffAsync(current, record, cancellationToken);
                }
                else
                {
                    record.AwaitingRestart = false;
                    record.WaitingReason = null;
                }

                break;
        }
    }

    /// <summary>Restarts an exited container once its back-off has passed; until then it waits in CrashLoopBackOff.</summary>
    private async Task RestartWithBackoffAsync(JsonObject current, ContainerRecord record, CancellationToken cancellationToken)
    {
        var exited = record.Current!;
        var now = time.GetUtcNow();
        record.AwaitingRestart = true;
        if (record.RestartNow)
        {
            record.RestartNow = false;
            record.RestartNotBefore = null;
            record.BackoffFor = exited.ContainerId;
        }
        else if (record.BackoffFor != exited.ContainerId)
        {
            // As the kubelet's back-off: the first exit (or the first after a long run) restarts at once, the next
            // waits BackoffBase, and each one after that twice as long as the last, up to BackoffCap.
            var ranFor = exited.FinishedAt - exited.StartedAt ?? TimeSpan.Zero;
            var delay = record.BackoffDelay is not { } last || ranFor >= options.BackoffResetAfter
                ? TimeSpan.Zero
                : last == TimeSpan.Zero ? options.BackoffBase : Min(last * 2, options.BackoffCap);
            record.BackoffDelay = delay;
            record.RestartNotBefore = (exited.FinishedAt ?? now) + delay;
            record.BackoffFor = exited.ContainerId;
            record.BackoffEventRecorded = false;
        }

        if (record.RestartNotBefore is { } notBefore && now < notBefore)
        {
            record.WaitingReason = "CrashLoopBackOff";
            record.WaitingMessage = $"back-off {Duration(record.BackoffDelay ?? options.BackoffBase)} restarting failed container={record.Name} pod={Name}_{Namespace}({Uid})";
            if (!record.BackoffEventRecorded)
            {
                record.BackoffEventRecorded = true;
                await EventAsync(current, "Warning", "BackOff", $"Back-off restarting failed container {record.Name} in pod {Name}_{Namespace}({Uid})", record.FieldPath, cancellationToken);
            }

            return;
        }

        await StartAsync(current, record, cancellationToken);
    }

    /// <summary>Starts the next instance of a container, as a span inside the sync's trace when it has one.</summary>
    private async Task StartAsync(JsonObject current, ContainerRecord record, CancellationToken cancellationToken)
    {
        using var span = Activity.Current is not null ? telemetry?.StartSpan("start container") : null;
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("k8s.namespace", Namespace);
            span.SetTag("k8s.name", Name);
            span.SetTag("k8s.container.name", record.Name);
            span.SetTag("container.image.name", Str(record.Spec, "image"));
        }

        await StartInstanceAsync(current, record, cancellationToken);
        if (span is not null && record.WaitingReason is { } waiting)
        {
            span.SetStatus(ActivityStatusCode.Error, waiting);
        }
    }

    /// <summary>Pulls, configures, creates and starts the next instance of a container, leaving a waiting reason when a step cannot be done yet.</summary>
    private async Task StartInstanceAsync(JsonObject current, ContainerRecord record, CancellationToken cancellationToken)
    {
        var spec = record.Spec ?? [];
        var image = Str(spec, "image") ?? "";
        var now = time.GetUtcNow();
        if (record.PullNotBefore is { } pullNotBefore && now < pullNotBefore)
        {
            record.WaitingReason = "ImagePullBackOff";
            record.WaitingMessage = $"Back-off pulling image \"{image}\"";
            if (!record.PullBackoffEventRecorded)
            {
                record.PullBackoffEventRecorded = true;
                await EventAsync(current, "Normal", "BackOff", $"Back-off pulling image \"{image}\"", record.FieldPath, cancellationToken);
                await EventAsync(current, "Warning", "Failed", "Error: ImagePullBackOff", record.FieldPath, cancellationToken);
            }

            return;
        }

        var pullPolicy = Str(spec, "imagePullPolicy") ?? DefaultPullPolicy(image);
        if (pullPolicy != "Never")
        {
            try
            {
                await runtime.EnsureImageAsync(image, cancellationToken);
            }
            catch (ImagePullException e)
            {
                var delay = record.PullDelay is { } last ? Min(last * 2, options.BackoffCap) : options.BackoffBase;
                record.PullDelay = delay;
                record.PullNotBefore = now + delay;
                record.PullBackoffEventRecorded = false;
                record.WaitingReason = "ErrImagePull";
                record.WaitingMessage = e.Message;
                await EventAsync(current, "Warning", "Failed", $"Failed to pull image \"{image}\": {e.Message}", record.FieldPath, cancellationToken);
                await EventAsync(current, "Warning", "Failed", "Error: ErrImagePull", record.FieldPath, cancellationToken);
                return;
            }

            record.PullDelay = null;
            record.PullNotBefore = null;
            await EventAsync(
                current,
                "Normal",
                "Pulled",
                pullPolicy == "Always" ? $"Successfully pulled image \"{image}\"" : $"Container image \"{image}\" already present on machine",
                record.FieldPath,
                cancellationToken);
        }

        ContainerSpec containerSpec;
        try
        {
            containerSpec = await ContainerSpecAsync(current, record, spec, image, cancellationToken);
        }
        catch (ContainerConfigException e)
        {
            record.WaitingReason = "CreateContainerConfigError";
            record.WaitingMessage = e.Message;
            if (record.LastConfigError != e.Message)
            {
                record.LastConfigError = e.Message;
                await EventAsync(current, "Warning", "Failed", $"Error: {e.Message}", record.FieldPath, cancellationToken);
            }

            return;
        }

        record.LastConfigError = null;
        string id;
        try
        {
            id = await runtime.CreateContainerAsync(sandbox!, containerSpec, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            PodWorkerLog.StartFailed(logger, e, record.Name, Namespace, Name);
            record.WaitingReason = "CreateContainerError";
            record.WaitingMessage = e.Message;
            await EventAsync(current, "Warning", "Failed", $"Error: {e.Message}", record.FieldPath, cancellationToken);
            return;
        }

        // The instance just replaced becomes the previous one; the one before that is no longer needed.
        if (record.Current is { } replaced)
        {
            telemetry?.RecordContainerRestart(host.NodeName, Namespace);
            if (record.Previous is { } older)
            {
                await RemoveQuietlyAsync(older.ContainerId, cancellationToken);
            }

            record.Previous = replaced;
        }

        record.Current = new ContainerState
        {
            ContainerId = id,
            PodUid = Uid,
            Namespace = Namespace,
            PodName = Name,
            ContainerName = record.Name,
            Attempt = containerSpec.Attempt,
            IsInit = record.IsInit,
            Image = image,
            Status = ContainerStatus.Created,
        };
        record.AwaitingRestart = false;
        record.ImageChanged = false;
        await EventAsync(current, "Normal", "Created", $"Created container {record.Name}", record.FieldPath, cancellationToken);
        await StartCreatedAsync(current, record, record.Current, cancellationToken);
    }

    private async Task StartCreatedAsync(JsonObject current, ContainerRecord record, ContainerState created, CancellationToken cancellationToken)
    {
        try
        {
            await runtime.StartContainerAsync(created.ContainerId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            PodWorkerLog.StartFailed(logger, e, record.Name, Namespace, Name);
            record.WaitingReason = "RunContainerError";
            record.WaitingMessage = e.Message;
            await EventAsync(current, "Warning", "Failed", $"Error: {e.Message}", record.FieldPath, cancellationToken);
            return;
        }

        record.WaitingReason = null;
        record.WaitingMessage = null;
        record.Current = await runtime.InspectAsync(created.ContainerId, cancellationToken)
            ?? created with { Status = ContainerStatus.Running, StartedAt = time.GetUtcNow() };
        PodWorkerLog.ContainerStarted(logger, record.Name, created.Attempt, Namespace, Name, created.ContainerId);
        await EventAsync(current, "Normal", "Started", $"Started container {record.Name}", record.FieldPath, cancellationToken);
    }

    private async Task<ContainerSpec> ContainerSpecAsync(JsonObject current, ContainerRecord record, JsonObject spec, string image, CancellationToken cancellationToken)
    {
        var resolver = new EnvironmentResolver(host, current, sandbox?.PodIP);
        var env = await resolver.ResolveAsync(spec, cancellationToken);
        string Expand(string s) => VariableExpansion.Expand(s, n => env.GetValueOrDefault(n));

        var mounts = new List<VolumeMount>();
        var volumes = Objects(current, "spec", "volumes").ToList();
        foreach (var mount in Objects(spec, "volumeMounts"))
        {
            var name = Str(mount, "name") ?? "";
            var mountPath = Str(mount, "mountPath") ?? "";
            string? hostPath = null;
            if (sandbox!.VolumePaths.TryGetValue(name, out var dir))
            {
                hostPath = dir;
            }
            else if (volumes.FirstOrDefault(v => Str(v, "name") == name) is { } volume && Str(volume, "hostPath", "path") is { } path)
            {
                hostPath = path;
            }

            if (hostPath is null)
            {
                // A volume of a kind this node cannot provide (a persistent volume claim, say): the container runs without it.
                continue;
            }

            // The kubelet owns the files of Secret, ConfigMap and projected volumes: containers only read them.
            var readOnly = Bool(mount, "readOnly")
                || volumes.FirstOrDefault(v => Str(v, "name") == name) is { } fileVolume && VolumeProjector.IsFileVolume(fileVolume);

            if (Str(mount, "subPath") is { Length: > 0 } subPath)
            {
                hostPath = Path.Combine(hostPath, subPath);
            }

            mounts.Add(new VolumeMount(hostPath, mountPath, readOnly));
        }

        return new ContainerSpec
        {
            PodUid = Uid,
            Namespace = Namespace,
            PodName = Name,
            ContainerName = record.Name,
            Attempt = record.NextAttempt,
            Image = image,
            Command = Strings(spec, "command")?.Select(Expand).ToList(),
            Args = Strings(spec, "args")?.Select(Expand).ToList(),
            Environment = env,
            WorkingDir = Str(spec, "workingDir"),
            Ports = Ports(spec).ToList(),
            Mounts = mounts,
            CpuLimitMillis = Quantity.Millicores(Str(spec, "resources", "limits", "cpu")),
            CpuRequestMillis = Quantity.Millicores(Str(spec, "resources", "requests", "cpu") ?? Str(spec, "resources", "limits", "cpu")),
            MemoryLimitBytes = Quantity.Bytes(Str(spec, "resources", "limits", "memory")),
            IsInit = record.IsInit,
            Tty = Bool(spec, "tty"),
            Stdin = Bool(spec, "stdin"),
            StdinOnce = Bool(spec, "stdinOnce"),
        };
    }

    private static IEnumerable<PortMapping> Ports(JsonObject container) =>
        Objects(container, "ports")
            .Where(p => Int(p, "containerPort") is not null)
            .Select(p => new PortMapping(
                (int)Int(p, "containerPort")!.Value,
                Int(p, "hostPort") is { } hp and > 0 ? (int)hp : null,
                Str(p, "protocol") ?? "TCP",
                Str(p, "hostIP")));

    private PodSandboxSpec SandboxSpec(JsonObject current)
    {
        var containers = Objects(current, "spec", "initContainers").Concat(Objects(current, "spec", "containers"));
        return new PodSandboxSpec(
            Uid,
            Namespace,
            Name,
            containers.SelectMany(Ports).Where(p => p.HostPort is not null).ToList(),
            Objects(current, "spec", "volumes").Where(v => Node(v, "emptyDir") is not null).Select(v => Str(v, "name") ?? "").ToList(),
            Objects(current, "spec", "volumes").Where(VolumeProjector.IsFileVolume).Select(v => Str(v, "name") ?? "").ToList());
    }

    /// <summary>The kubelet's default when a spec has none: always pull <c>:latest</c> (or untagged), otherwise only when missing.</summary>
    private static string DefaultPullPolicy(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal)) return "IfNotPresent";
        var lastPart = image[(image.LastIndexOf('/') + 1)..];
        var colon = lastPart.LastIndexOf(':');
        return colon < 0 || lastPart[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    private async Task RunProbesAsync(JsonObject current, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = new List<(ContainerRecord Record, ProbeTracker Tracker)>();
        foreach (var record in appRecords)
        {
            if (record.Current is not { Status: ContainerStatus.Running } running || record.WaitingReason is not null)
            {
                record.Ready = false;
                record.Started = false;
                continue;
            }

            if (record.ProbesFor != running.ContainerId)
            {
                var startedAt = running.StartedAt ?? now;
                record.ProbesFor = running.ContainerId;
                record.Startup = Node(record.Spec, "startupProbe") is JsonObject s ? new ProbeTracker(ProbeKind.Startup, s, startedAt) : null;
                record.Liveness = Node(record.Spec, "livenessProbe") is JsonObject l ? new ProbeTracker(ProbeKind.Liveness, l, startedAt) : null;
                record.Readiness = Node(record.Spec, "readinessProbe") is JsonObject r ? new ProbeTracker(ProbeKind.Readiness, r, startedAt) : null;
                record.Started = record.Startup is null;
                record.Ready = false;
            }

            if (!record.Started)
            {
                if (record.Startup!.IsDue(now)) due.Add((record, record.Startup));
                continue;
            }

            if (record.Liveness?.IsDue(now) == true) due.Add((record, record.Liveness));
            if (record.Readiness?.IsDue(now) == true) due.Add((record, record.Readiness));
        }

        var podIP = sandbox?.PodIP ?? host.HostIP;
        var results = await Task.WhenAll(due.Select(d =>
            probes!.RunAsync(d.Tracker.Probe, d.Tracker.Timeout, d.Record.ProbesFor!, d.Record.Spec ?? [], podIP, cancellationToken)));
        var killed = new HashSet<ContainerRecord>();
        for (var i = 0; i < due.Count; i++)
        {
            var (record, tracker) = due[i];
            var (success, message) = results[i];
            tracker.Record(success, now);
            if (killed.Contains(record)) continue;
            if (!success)
            {
                await EventAsync(current, "Warning", "Unhealthy", $"{tracker.Kind} probe failed: {message}", record.FieldPath, cancellationToken);
            }

            switch (tracker.Kind)
            {
                case ProbeKind.Startup when tracker.Result == true:
                    record.Started = true;
                    break;
                case ProbeKind.Startup or ProbeKind.Liveness when tracker.Result == false:
                    killed.Add(record);
                    var what = tracker.Kind == ProbeKind.Startup ? "startup" : "liveness";
                    await KillAsync(current, record, $"Container {record.Name} failed {what} probe, will be restarted", cancellationToken, tracker.Probe);
                    break;
            }
        }

        foreach (var record in appRecords)
        {
            if (record.Current is { Status: ContainerStatus.Running } && record.WaitingReason is null && record.Started)
            {
                record.Ready = record.Readiness is null || record.Readiness.Result == true;
            }
            else
            {
                record.Ready = false;
            }
        }
    }

    /// <summary>Stops a running container so that the restart logic brings up a new one.</summary>
    private async Task KillAsync(JsonObject current, ContainerRecord record, string message, CancellationToken cancellationToken, JsonObject? probe = null)
    {
        var running = record.Current!;
        await EventAsync(current, "Normal", "Killing", message, record.FieldPath, cancellationToken);
        var grace = Int(probe, "terminationGracePeriodSeconds") is { } probeGrace
            ? TimeSpan.FromSeconds(probeGrace)
            : Int(current, "spec", "terminationGracePeriodSeconds") is { } specGrace ? TimeSpan.FromSeconds(specGrace) : options.DefaultGracePeriod;
        await runtime.StopContainerAsync(running.ContainerId, grace, cancellationToken);
        record.Current = await runtime.InspectAsync(running.ContainerId, cancellationToken)
            ?? running with { Status = ContainerStatus.Exited, ExitCode = 137, FinishedAt = time.GetUtcNow() };
        record.Ready = false;
        record.Started = false;
    }

    /// <summary>Graceful deletion: SIGTERM with the grace period, then removal of containers and sandbox, then the host removes the pod.</summary>
    private async Task<bool> TerminateAsync(JsonObject current, CancellationToken cancellationToken)
    {
        var grace = Int(current, "metadata", "deletionGracePeriodSeconds") is { } deletionGrace
            ? TimeSpan.FromSeconds(Math.Max(0, deletionGrace))
            : Int(current, "spec", "terminationGracePeriodSeconds") is { } specGrace
                ? TimeSpan.FromSeconds(Math.Max(0, specGrace))
                : options.DefaultGracePeriod;
        var records = initRecords.Concat(appRecords).ToList();
        var stopping = records.Where(r => r.Current is { Status: not ContainerStatus.Exited } && !r.StopSent).ToList();
        foreach (var record in stopping)
        {
            record.StopSent = true;
            await EventAsync(current, "Normal", "Killing", $"Stopping container {record.Name}", record.FieldPath, cancellationToken);
        }

        await Task.WhenAll(stopping.Select(r => runtime.StopContainerAsync(r.Current!.ContainerId, grace, cancellationToken)));
        await RefreshAsync(cancellationToken);
        foreach (var record in records)
        {
            record.WaitingReason = null;
            record.AwaitingRestart = false;
            record.Ready = false;
        }

        // A deleted pod ends in a terminal phase, as the kubelet reports it since Kubernetes 1.27.
        var appStates = appRecords.Select(r => r.Current).ToList();
        var phase = appStates.Count > 0 && appStates.All(s => s is { Status: ContainerStatus.Exited, ExitCode: 0 }) ? "Succeeded" : "Failed";
        await ReportAsync(current, IsTerminal ? null : phase, cancellationToken);

        var ids = records.SelectMany(r => new[] { r.Current?.ContainerId, r.Previous?.ContainerId }).OfType<string>().ToHashSet();
        foreach (var leftover in await runtime.ListPodAsync(Uid, cancellationToken))
        {
            ids.Add(leftover.ContainerId);
        }

        foreach (var id in ids)
        {
            await runtime.RemoveContainerAsync(id, cancellationToken);
        }

        foreach (var record in records)
        {
            record.Current = null;
            record.Previous = null;
        }

        await runtime.RemoveSandboxAsync(Uid, cancellationToken);
        sandbox = null;
        await host.PodTerminatedAsync(Namespace, Name, Uid, cancellationToken);
        PodWorkerLog.Terminated(logger, Namespace, Name);
        return true;
    }

    private async Task ReportAsync(JsonObject current, string? phaseOverride, CancellationToken cancellationToken)
    {
        var status = PodStatusBuilder.Build(current, new PodStatusInput
        {
            RuntimeName = runtime.Name,
            HostIP = host.HostIP,
            Now = time.GetUtcNow(),
            PodIP = sandbox?.PodIP,
            StartTime = startTime,
            SandboxReady = sandbox is not null,
            InitContainers = initRecords.Select(View).ToList(),
            Containers = appRecords.Select(View).ToList(),
            PreviousStatus = lastReported,
        });
        if (phaseOverride is not null) status["phase"] = phaseOverride;
        var json = status.ToJsonString();
        if (json == lastReportedJson) return;
        try
        {
            await host.ReportStatusAsync(Namespace, Name, Uid, status, cancellationToken);
            lastReported = status;
            lastReportedJson = json;
            MeasureStartup(current, status);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            PodWorkerLog.ReportFailed(logger, e, Namespace, Name);
        }
    }

    /// <summary>Pod startup as Kubernetes' SLI counts it: from the pod's creation to the first Ready this node reported.</summary>
    private void MeasureStartup(JsonObject current, JsonObject status)
    {
        if (startupMeasured || telemetry is null || !IsReady(status)) return;
        startupMeasured = true;
        if (Time(current, "metadata", "creationTimestamp") is { } created)
        {
            telemetry.RecordPodStartup(host.NodeName, time.GetUtcNow() - created);
        }
    }

    private static bool IsReady(JsonObject? status) =>
        Objects(status, "conditions").Any(c => Str(c, "type") == "Ready" && Str(c, "status") == "True");

    private static ContainerView View(ContainerRecord record) => new()
    {
        Name = record.Name,
        Image = Str(record.Spec, "image") ?? "",
        Current = record.Current,
        LastTerminated = record.AwaitingRestart && record.Current is { Status: ContainerStatus.Exited } ? record.Current : record.Previous,
        RestartCount = record.Current?.Attempt ?? 0,
        WaitingReason = record.WaitingReason,
        WaitingMessage = record.WaitingMessage,
        Ready = record.Ready,
        Started = record.Started,
    };

    private async Task EventAsync(JsonObject current, string type, string reason, string message, string? fieldPath, CancellationToken cancellationToken)
    {
        try
        {
            await host.RecordEventAsync(current, type, reason, message, fieldPath, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            PodWorkerLog.EventFailed(logger, e, reason, Namespace, Name);
        }
    }

    private async Task RemoveQuietlyAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            await runtime.RemoveContainerAsync(containerId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            PodWorkerLog.RemoveFailed(logger, e, containerId, Namespace, Name);
        }
    }

    /// <summary>The sync period, or sooner when a back-off ends or a probe is due before it.</summary>
    private TimeSpan NextWake()
    {
        var now = time.GetUtcNow();
        var next = now + options.SyncPeriod;
        if (volumesDueAt > now && volumesDueAt < next) next = volumesDueAt;
        foreach (var record in initRecords.Concat(appRecords))
        {
            foreach (var at in new[] { record.RestartNotBefore, record.PullNotBefore, record.Startup?.NextDue, record.Liveness?.NextDue, record.Readiness?.NextDue })
            {
                if (at is { } t && t > now && t < next) next = t;
            }
        }

        return next - now;
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(delay, time, cts.Token);
        var woken = wake.Reader.WaitToReadAsync(cts.Token).AsTask();
        await Task.WhenAny(timer, woken);
        await cts.CancelAsync();
        wake.Reader.TryRead(out _);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private void UpdateSnapshot()
    {
        var containers = ImmutableArray.CreateBuilder<ContainerState>();
        var ids = ImmutableDictionary.CreateBuilder<string, (string?, string?)>();
        foreach (var record in initRecords.Concat(appRecords))
        {
            if (record.Previous is { } previous) containers.Add(previous);
            if (record.Current is { } current) containers.Add(current);
            var last = record.AwaitingRestart && record.Current is { Status: ContainerStatus.Exited } ? record.Current : record.Previous;
            ids[record.Name] = (record.Current?.ContainerId, last?.ContainerId);
        }

        snapshot = new Snapshot(containers.ToImmutable(), ids.ToImmutable());
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Duration(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds}s" : $"{(int)span.TotalSeconds}s";

    private sealed record Snapshot(ImmutableArray<ContainerState> Containers, ImmutableDictionary<string, (string? Current, string? Previous)> Ids);
}
