using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Cloud;
using Grainetes.Grains.Events;
using Grainetes.Grains.Services;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// The service controller of Kubernetes' cloud-controller-manager for one Service: a LoadBalancer service gets the
/// cleanup finalizer, then its load balancer from the configured <see cref="ICloudProvider"/>, then the balancer's
/// status in <c>status.loadBalancer</c>; a service that is deleted, or whose type leaves LoadBalancer, has its balancer
/// deleted before the finalizer goes. Services with a <c>loadBalancerClass</c> belong to another controller.
/// </summary>
public sealed partial class LoadBalancerControllerGrain : ReconcilerGrain, ILoadBalancerControllerGrain
{
    public const string CleanupFinalizer = "service.kubernetes.io/load-balancer-cleanup";
    public const string ExcludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers";
    private const string Component = "service-controller";

    private readonly CloudProviders providers;
    private readonly EventRecorder events;
    private readonly ILogger<LoadBalancerControllerGrain> logger;

    // In memory, as in Kubernetes' service cache: a fresh activation re-ensures once, quietly, when all looks in order.
    private string? ensuredSpec;
    private string? ensuredNodes;
    private string? lastFailure;

    public LoadBalancerControllerGrain(CloudProviders providers, EventRecorder events, TimeProvider time, ILogger<LoadBalancerControllerGrain> logger)
        : base(logger, time)
    {
        this.providers = providers;
        this.events = events;
        this.logger = logger;
    }

    /// <summary>Whether a service is one this controller has to look at: a LoadBalancer, or one it still holds a balancer for.</summary>
    public static bool Concerns(JsonObject svc) => ServiceSpecs.Type(svc) == "LoadBalancer" || Finalizers(svc).Contains(CleanupFinalizer);

    private protected override async Task<ReconcileOutcome> ReconcileOnceAsync()
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var grain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("services", ns, name).GrainKey);
        var json = await grain.Get();
        var provider = providers.Current;
        if (json is null)
        {
            // Gone without the finalizer's pass (removed by hand): whatever incarnation held a balancer loses it.
            await provider.EnsureLoadBalancerDeletedAsync(new V1Service { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns } }, CancellationToken.None);
            return ReconcileOutcome.Gone;
        }

        var svc = Parse(json);
        var wanted = ServiceSpecs.Type(svc) == "LoadBalancer" && !IsDeleting(svc) && Str(svc["spec"]?["loadBalancerClass"]) is null;
        if (!wanted)
        {
            return await CleanUpAsync(grain, svc, provider);
        }

        if (!Finalizers(svc).Contains(CleanupFinalizer))
        {
            // First the finalizer, so no balancer can outlive its service unnoticed.
            svc = Parse(await grain.Patch(FinalizersPatch(svc, Finalizers(svc).Append(CleanupFinalizer)), new WriteOptions { PatchType = "application/merge-patch+json" }));
        }

        var service = KubernetesJson.Deserialize<V1Service>(svc.ToJsonString());
        var nodes = await NodesAsync();
        var nodesKey = string.Join(",", nodes.Select(n => n.Metadata.Name));
        var specKey = Uid(svc) + "|" + Canonical(svc["spec"]);
        var current = await provider.GetLoadBalancerAsync(service, CancellationToken.None);
        var recorded = svc["status"]?["loadBalancer"] as JsonObject;
        var inOrder = current.Exists && Canonical(StatusJson(current.Status)) == Canonical(recorded);
        if (inOrder && ensuredSpec == specKey)
        {
            if (ensuredNodes != nodesKey)
            {
                await provider.UpdateLoadBalancerAsync(service, nodes, CancellationToken.None);
                ensuredNodes = nodesKey;
                await events.RecordAsync(svc, "Normal", "UpdatedLoadBalancer", "Updated load balancer with new hosts", Component);
            }

            return new ReconcileOutcome(true, false, null);
        }

        // A fresh activation finding everything in place re-asserts it without telling the world again.
        var quiet = inOrder && ensuredSpec is null;
        if (!quiet)
        {
            await events.RecordAsync(svc, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer", Component);
        }

        V1LoadBalancerStatus status;
        try
        {
            status = await provider.EnsureLoadBalancerAsync(service, nodes, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var message = "Error syncing load balancer: failed to ensure load balancer: " + ex.Message;
            if (message != lastFailure)
            {
                // Once per distinct failure: the retries behind it would otherwise flood the events.
                lastFailure = message;
                await events.RecordAsync(svc, "Warning", "SyncLoadBalancerFailed", message, Component);
            }

            throw;
        }

        lastFailure = null;
        var desired = StatusJson(status);
        var changed = Canonical(desired) != Canonical(recorded);
        if (changed)
        {
            var update = svc.DeepClone().AsObject();
            var statusObj = update["status"] as JsonObject ?? [];
            statusObj["loadBalancer"] = desired;
            update["status"] = statusObj;
            await grain.Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
        }

        ensuredSpec = specKey;
        ensuredNodes = nodesKey;
        if (!quiet)
        {
            await events.RecordAsync(svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer", Component);
            LogEnsured(ns, name, string.Join(",", status.Ingress?.Select(i => i.Ip ?? i.Hostname) ?? []));
        }

        return new ReconcileOutcome(true, changed, null);
    }

    private async Task<ReconcileOutcome> CleanUpAsync(IObjectGrain grain, JsonObject svc, ICloudProvider provider)
    {
        var deleting = IsDeleting(svc);
        var holds = Finalizers(svc).Contains(CleanupFinalizer);
        var shown = svc["status"]?["loadBalancer"]?["ingress"] is JsonArray { Count: > 0 };

        // A service of another balancer class shows that controller's status: only our own finalizer makes it ours.
        if (!holds && (!shown || Str(svc["spec"]?["loadBalancerClass"]) is not null))
        {
            return new ReconcileOutcome(false, false, null);
        }

        await events.RecordAsync(svc, "Normal", "DeletingLoadBalancer", "Deleting load balancer", Component);
        await provider.EnsureLoadBalancerDeletedAsync(KubernetesJson.Deserialize<V1Service>(svc.ToJsonString()), CancellationToken.None);
        ensuredSpec = null;
        ensuredNodes = null;
        if (shown && !deleting)
        {
            var update = svc.DeepClone().AsObject();
            update["status"]!["loadBalancer"] = new JsonObject();
            svc = Parse(await grain.Update(update.ToJsonString(), new WriteOptions { Subresource = "status" }));
        }

        if (holds)
        {
            await grain.Patch(FinalizersPatch(svc, Finalizers(svc).Where(f => f != CleanupFinalizer)), new WriteOptions { PatchType = "application/merge-patch+json" });
        }

        await events.RecordAsync(svc, "Normal", "DeletedLoadBalancer", "Deleted load balancer", Component);
        LogDeleted(Str(svc["metadata"]?["namespace"]) ?? "", Name(svc));
        return new ReconcileOutcome(false, true, null);
    }

    /// <summary>The nodes a balancer sends to: all but those being deleted or labelled out of external balancers.</summary>
    private async Task<List<V1Node>> NodesAsync()
    {
        var listed = await GrainFactory.GetGrain<IResourceCollectionGrain>("nodes").List(new ListRequest());
        return listed.Items.Select(i => KubernetesJson.Deserialize<V1Node>(i))
            .Where(n => n.Metadata?.DeletionTimestamp is null && n.Metadata?.Labels?.ContainsKey(ExcludeLabel) != true)
            .OrderBy(n => n.Metadata?.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static JsonObject StatusJson(V1LoadBalancerStatus? status) =>
        status is null ? [] : JsonNode.Parse(KubernetesJson.Serialize(status))!.AsObject();

    [LoggerMessage(Level = LogLevel.Information, Message = "Load balancer of service {Namespace}/{Name} ensured at {Ingress}")]
    private partial void LogEnsured(string @namespace, string name, string ingress);

    [LoggerMessage(Level = LogLevel.Information, Message = "Load balancer of service {Namespace}/{Name} deleted")]
    private partial void LogDeleted(string @namespace, string name);
}
