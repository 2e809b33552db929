using System.Diagnostics;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Abstractions.Telemetry;
using Grainetes.Machinery.Selectors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// The informers of kube-controller-manager for the workload controllers (ReplicaSet, Deployment, DaemonSet,
/// Job, CronJob): one long-poll loop per kind
/// follows its change log from activation on and wakes the controller grain of each changed object's
/// owner. Nothing here is durable: a fresh activation starts at the current version and resyncs every
/// controller, and the reminder brings the manager back (and resyncs) if its silo went away.
/// </summary>
public sealed partial class ControllerManagerGrain : Grain, IControllerManagerGrain, IRemindable
{
    private const string ReminderName = "resync";
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(10);
    private static readonly string[] FollowedKinds = ["replicasets.apps", "deployments.apps", "daemonsets.apps", "jobs.batch", "cronjobs.batch", "pods", "nodes", "services", "horizontalpodautoscalers.autoscaling"];

    private readonly ILogger<ControllerManagerGrain> logger;
    private readonly GrainetesTelemetry telemetry;
    private readonly ControllerManagerOptions options;
    private readonly TimeSpan minimumReminderPeriod;
    private readonly CancellationTokenSource stopping = new();
    private readonly Dictionary<string, Task> followers = new(StringComparer.Ordinal);
    private readonly ServiceSelectorIndex serviceSelectors = new();
    private readonly HashSet<string> loadBalancers = new(StringComparer.Ordinal);
    private bool? cloudOn;
    private bool reminderRegistered;

    public ControllerManagerGrain(ILogger<ControllerManagerGrain> logger, GrainetesTelemetry telemetry, IOptions<ControllerManagerOptions> options, IOptions<ReminderOptions> reminderOptions)
    {
        this.logger = logger;
        this.telemetry = telemetry;
        this.options = options.Value;
        minimumReminderPeriod = reminderOptions.Value.MinimumReminderPeriod;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!options.WakeOnChanges)
        {
            // Only the reminders drive the controllers; the timer keeps this activation, as below.
            LogChangesOff();
            this.RegisterGrainTimer(
                _ => Task.CompletedTask,
                new GrainTimerCreationOptions(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)) { KeepAlive = true, Interleave = true });
            ResyncAll().Ignore();
            return;
        }

        // Start from now; the resync below covers whatever changed before.
        var starts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var kind in FollowedKinds)
        {
            starts[kind] = await GrainFactory.GetGrain<IResourceCollectionGrain>(kind).CurrentResourceVersion();
        }

        // Listed after the start versions were taken, so no service change falls between the two.
        await LoadServiceSelectorsAsync();
        foreach (var kind in FollowedKinds)
        {
            followers[kind] = FollowAsync(kind, starts[kind]);
        }

        // The followers are not requests, so this timer is what keeps the activation from being collected;
        // it also restarts a follower that died.
        this.RegisterGrainTimer(
            _ => EnsureFollowing(),
            new GrainTimerCreationOptions(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)) { KeepAlive = true, Interleave = true });
        ResyncAll().Ignore();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        stopping.Cancel();
        return Task.CompletedTask;
    }

    public async Task Start()
    {
        if (reminderRegistered)
        {
            return;
        }

        var period = options.ManagerResyncPeriod < minimumReminderPeriod ? minimumReminderPeriod : options.ManagerResyncPeriod;
        await this.RegisterOrUpdateReminder(ReminderName, period < TimeSpan.FromMinutes(1) ? period : TimeSpan.FromMinutes(1), period);
        reminderRegistered = true;
    }

    public Task Resync()
    {
        ResyncAll().Ignore();
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        reminderRegistered = true;
        ResyncAll().Ignore();
        return Task.CompletedTask;
    }

    private async Task EnsureFollowing()
    {
        foreach (var kind in FollowedKinds)
        {
            if (followers[kind].IsCompleted && !stopping.IsCancellationRequested)
            {
                LogRestarting(kind);
                followers[kind] = FollowAsync(kind, await GrainFactory.GetGrain<IResourceCollectionGrain>(kind).CurrentResourceVersion());
                await LoadServiceSelectorsAsync();
                await ResyncAll();
            }
        }
    }

    private async Task ResyncAll()
    {
        try
        {
            foreach (var key in await GrainFactory.GetGrain<IResourceCollectionGrain>("replicasets.apps").Names(null))
            {
                GrainFactory.GetGrain<IReplicaSetControllerGrain>(key).Reconcile().Ignore();
            }

            foreach (var key in await GrainFactory.GetGrain<IResourceCollectionGrain>("deployments.apps").Names(null))
            {
                GrainFactory.GetGrain<IDeploymentControllerGrain>(key).Reconcile().Ignore();
            }

            foreach (var key in await GrainFactory.GetGrain<IResourceCollectionGrain>("services").Names(null))
            {
                GrainFactory.GetGrain<IEndpointsControllerGrain>(key).Reconcile().Ignore();
            }

            await WakeLoadBalancersAsync();
            await WakeAllDaemonSetsAsync();
            foreach (var key in await GrainFactory.GetGrain<IResourceCollectionGrain>("jobs.batch").Names(null))
            {
                GrainFactory.GetGrain<IJobControllerGrain>(key).Reconcile().Ignore();
            }

            foreach (var key in await GrainFactory.GetGrain<IResourceCollectionGrain>("cronjobs.batch").Names(null))
            {
                GrainFactory.GetGrain<ICronJobControllerGrain>(key).Reconcile().Ignore();
            }

            foreach (var key in await GrainFactory.GetGrain<IResourceCollectionGrain>("horizontalpodautoscalers.autoscaling").Names(null))
            {
                GrainFactory.GetGrain<IHorizontalPodAutoscalerControllerGrain>(key).Reconcile().Ignore();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogResyncFailed(ex);
        }
    }

    /// <summary>Whether this silo runs the cloud controller (<c>AddGrainetesCloud</c>).</summary>
    private bool CloudOn => cloudOn ??= ServiceProvider.GetService(typeof(Grainetes.Grains.Cloud.CloudProviders)) is not null;

    /// <summary>Wakes the load balancer controller of every service it concerns (listed afresh: the index may be unloaded).</summary>
    private async Task WakeLoadBalancersAsync()
    {
        if (!CloudOn)
        {
            return;
        }

        var listed = await GrainFactory.GetGrain<IResourceCollectionGrain>("services").List(new ListRequest());
        foreach (var svc in listed.Items.Select(Parse).Where(LoadBalancerControllerGrain.Concerns))
        {
            GrainFactory.GetGrain<ILoadBalancerControllerGrain>(Str(svc["metadata"]?["namespace"]) + "/" + Name(svc)).Reconcile().Ignore();
        }
    }

    private async Task WakeAllDaemonSetsAsync(string? traceParent = null)
    {
        foreach (var key in await GrainFactory.GetGrain<IResourceCollectionGrain>("daemonsets.apps").Names(null))
        {
            using (StartWake("DaemonSetController", key, traceParent))
            {
                GrainFactory.GetGrain<IDaemonSetControllerGrain>(key).Reconcile().Ignore();
            }
        }
    }

    /// <summary>
    /// A wake-up as a span under the change that caused it, so the one-way call carries that trace to the controller.
    /// Changes without a trace (read back from the log, or written outside any trace) wake it untraced.
    /// </summary>
    private Activity? StartWake(string controller, string key, string? traceParent)
    {
        if (traceParent is null)
        {
            return null;
        }

        var span = telemetry.StartSpan("wake " + controller, traceParent);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("grainetes.controller", controller);
            span.SetTag("grainetes.key", key);
        }

        return span;
    }

    private async Task FollowAsync(string kind, long after)
    {
        // A loop for the activation's lifetime: it belongs to no caller's trace.
        Activity.Current = null;
        var collection = GrainFactory.GetGrain<IResourceCollectionGrain>(kind);
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var batch = await collection.Poll(after, null, PollWait);
                failures = 0;
                if (batch.Gone)
                {
                    // Fell behind the log's compaction: start over from now and look at everything.
                    after = batch.LatestResourceVersion;
                    await LoadServiceSelectorsAsync();
                    await ResyncAll();
                    continue;
                }

                await RouteAsync(kind, batch.Events);
                if (batch.Events.Count > 0)
                {
                    after = batch.Events[^1].ResourceVersion;
                }
                else
                {
                    after = Math.Max(after, batch.LatestResourceVersion);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures++;
                LogFollowFailed(ex, kind);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * failures)), stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    // Deactivating: the loop condition ends the follower.
                }
            }
        }
    }

    private async Task RouteAsync(string kind, IReadOnlyList<ChangeEvent> changes)
    {
        // A batch often holds many changes of one object: wake each controller once.
        var replicaSets = new Wakeups();
        var deployments = new Wakeups();
        var services = new Wakeups();
        var loadBalancerWakeups = new Wakeups();
        var daemonSets = new Wakeups();
        var jobs = new Wakeups();
        var cronJobs = new Wakeups();
        var orphans = new List<(JsonObject Object, string? TraceParent)>();
        if (kind == "nodes")
        {
            // A node joining, leaving or changing labels or taints may change where every DaemonSet runs.
            if (changes.Count > 0)
            {
                await WakeAllDaemonSetsAsync(changes[^1].TraceParent);
            }

            // A node joining or leaving changes every load balancer's node set (other node changes wait for the resync).
            if (CloudOn && changes.Any(c => c.Type != WatchEventType.Modified))
            {
                foreach (var key in loadBalancers)
                {
                    GrainFactory.GetGrain<ILoadBalancerControllerGrain>(key).Reconcile().Ignore();
                }
            }

            return;
        }

        if (kind == "horizontalpodautoscalers.autoscaling")
        {
            // An HPA is evaluated on its own sync period; a change only has to reach it (its controller skips status-only ones).
            foreach (var key in changes.Select(c => c.Namespace + "/" + c.Name).Distinct(StringComparer.Ordinal))
            {
                GrainFactory.GetGrain<IHorizontalPodAutoscalerControllerGrain>(key).Reconcile().Ignore();
            }

            return;
        }

        foreach (var change in changes)
        {
            var obj = Parse(change.Json);
            var controller = ControllerRef(obj);
            var ownerKey = controller is null ? null : change.Namespace + "/" + Str(controller["name"]);
            var trace = change.TraceParent;
            switch (kind)
            {
                case "replicasets.apps":
                    replicaSets.Add(change.Namespace + "/" + change.Name, trace);
                    if (controller is not null && Str(controller["kind"]) == "Deployment")
                    {
                        deployments.Add(ownerKey!, trace);
                    }
                    else if (controller is null)
                    {
                        // An orphan ReplicaSet may be one a Deployment should adopt.
                        orphans.Add((obj, trace));
                    }

                    break;
                case "deployments.apps":
                    deployments.Add(change.Namespace + "/" + change.Name, trace);
                    break;
                case "services":
                    serviceSelectors.Apply(change, obj);
                    services.Add(change.Namespace + "/" + change.Name, trace);
                    TrackLoadBalancer(change, obj, loadBalancerWakeups);
                    break;
                case "daemonsets.apps":
                    daemonSets.Add(change.Namespace + "/" + change.Name, trace);
                    break;
                case "jobs.batch":
                    jobs.Add(change.Namespace + "/" + change.Name, trace);
                    if (controller is not null && Str(controller["kind"]) == "CronJob")
                    {
                        cronJobs.Add(ownerKey!, trace);
                    }

                    break;
                case "cronjobs.batch":
                    cronJobs.Add(change.Namespace + "/" + change.Name, trace);
                    break;
                case "pods":
                    services.UnionWith(serviceSelectors.ServicesFor(change, obj), trace);
                    if (controller is not null)
                    {
                        switch (Str(controller["kind"]))
                        {
                            case "ReplicaSet":
                                replicaSets.Add(ownerKey!, trace);
                                break;
                            case "DaemonSet":
                                daemonSets.Add(ownerKey!, trace);
                                break;
                            case "Job":
                                jobs.Add(ownerKey!, trace);
                                break;
                        }
                    }
                    else if (change.Type != WatchEventType.Deleted && !IsDeleting(obj))
                    {
                        orphans.Add((obj, trace));
                    }

                    break;
            }
        }

        if (orphans.Count > 0)
        {
            var owners = await FindAdoptersAsync(kind == "pods" ? "replicasets.apps" : "deployments.apps", orphans.Select(o => o.Object).ToList());
            (kind == "pods" ? replicaSets : deployments).UnionWith(owners, orphans[^1].TraceParent);
        }

        foreach (var (key, trace) in replicaSets)
        {
            using (StartWake("ReplicaSetController", key, trace))
            {
                GrainFactory.GetGrain<IReplicaSetControllerGrain>(key).Reconcile().Ignore();
            }
        }

        foreach (var (key, trace) in deployments)
        {
            using (StartWake("DeploymentController", key, trace))
            {
                GrainFactory.GetGrain<IDeploymentControllerGrain>(key).Reconcile().Ignore();
            }
        }

        foreach (var (key, trace) in daemonSets)
        {
            using (StartWake("DaemonSetController", key, trace))
            {
                GrainFactory.GetGrain<IDaemonSetControllerGrain>(key).Reconcile().Ignore();
            }
        }

        foreach (var (key, trace) in jobs)
        {
            using (StartWake("JobController", key, trace))
            {
                GrainFactory.GetGrain<IJobControllerGrain>(key).Reconcile().Ignore();
            }
        }

        foreach (var (key, trace) in cronJobs)
        {
            using (StartWake("CronJobController", key, trace))
            {
                GrainFactory.GetGrain<ICronJobControllerGrain>(key).Reconcile().Ignore();
            }
        }

        foreach (var (key, trace) in services)
        {
            using (StartWake("EndpointsController", key, trace))
            {
                GrainFactory.GetGrain<IEndpointsControllerGrain>(key).Reconcile().Ignore();
            }
        }

        foreach (var (key, trace) in loadBalancerWakeups)
        {
            using (StartWake("LoadBalancerController", key, trace))
            {
                GrainFactory.GetGrain<ILoadBalancerControllerGrain>(key).Reconcile().Ignore();
            }
        }
    }

    private async Task LoadServiceSelectorsAsync()
    {
        var listed = await GrainFactory.GetGrain<IResourceCollectionGrain>("services").List(new ListRequest());
        var parsed = listed.Items.Select(Parse).ToList();
        serviceSelectors.Load(parsed);
        loadBalancers.Clear();
        loadBalancers.UnionWith(parsed.Where(LoadBalancerControllerGrain.Concerns).Select(s => Str(s["metadata"]?["namespace"]) + "/" + Name(s)));
    }

    /// <summary>
    /// Keeps the set of services the load balancer controller concerns and wakes its controller for a change of one —
    /// also the change that makes it stop being one, and its deletion: the controller cleans up after those.
    /// </summary>
    private void TrackLoadBalancer(ChangeEvent change, JsonObject obj, Wakeups wakeups)
    {
        var key = change.Namespace + "/" + change.Name;
        if (!CloudOn || !(LoadBalancerControllerGrain.Concerns(obj) || loadBalancers.Contains(key)))
        {
            return;
        }

        wakeups.Add(key, change.TraceParent);
        if (change.Type == WatchEventType.Deleted || !LoadBalancerControllerGrain.Concerns(obj))
        {
            loadBalancers.Remove(key);
        }
        else
        {
            loadBalancers.Add(key);
        }
    }

    /// <summary>The owners of <paramref name="ownerKind"/> whose selector matches an orphan: they may adopt it.</summary>
    private async Task<IEnumerable<string>> FindAdoptersAsync(string ownerKind, List<JsonObject> orphans)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in orphans.GroupBy(o => Str(o["metadata"]?["namespace"]) ?? ""))
        {
            var owners = await GrainFactory.GetGrain<IResourceCollectionGrain>(ownerKind).List(new ListRequest { Namespace = group.Key });
            foreach (var owner in owners.Items.Select(Parse))
            {
                LabelSelector selector;
                try
                {
                    selector = LabelSelector.FromJson(owner["spec"]?["selector"]);
                }
                catch (Grainetes.Machinery.Errors.ApiException)
                {
                    continue;
                }

                if (group.Any(selector.Matches))
                {
                    found.Add(group.Key + "/" + Name(owner));
                }
            }
        }

        return found;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controllers are not woken by changes (Controllers:WakeOnChanges is false); only their reminders run them")]
    private partial void LogChangesOff();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Following the {Kind} change log failed; retrying")]
    private partial void LogFollowFailed(Exception ex, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The follower of {Kind} stopped; restarting it with a resync")]
    private partial void LogRestarting(string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resync of the workload controllers failed")]
    private partial void LogResyncFailed(Exception ex);
}
