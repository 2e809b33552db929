using Grainetes.Grains.Storage;
using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Abstractions.Telemetry;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Defaulting;
using Grainetes.Machinery.Patching;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Validation;
using Microsoft.Extensions.Logging;

namespace Grainetes.Grains.Store;

/// <summary>
/// One Kubernetes object. Turns are serialized, so read-patch-validate-write is atomic; the state write is
/// the commit point, after which the change is reported to the kind's collection for the log and watches.
/// </summary>
public sealed partial class ObjectGrain : Grain, IObjectGrain
{
    public const string StorageName = "objects";

    private static readonly TimeSpan LeaseRenewalPersistInterval = TimeSpan.FromSeconds(60);

    private readonly IPersistentState<StoredObjectState> state;
    private readonly StoredValueProtector protector;
    private readonly ResourceRegistry registry;
    private readonly ObjectValidator validator;
    private readonly TimeProvider time;
    private readonly GrainetesTelemetry telemetry;
    private readonly ILogger<ObjectGrain> logger;

    private ObjectKey key;
    private ResourceType type = null!;
    private IResourceCollectionGrain collection = null!;
    private JsonObject? current;

    // What reads see: only committed writes, never a write in flight.
    private string? currentJson;
    // When this activation last wrote its state; never, at first, so the first lease renewal of every activation is
    // persisted: a lease grain reactivated from a row up to a minute old makes its stored renewTime current at once.
    private DateTimeOffset lastPersisted = DateTimeOffset.MinValue;

    public ObjectGrain(
        [PersistentState("object", StorageName)] IPersistentState<StoredObjectState> state,
        ResourceRegistry registry,
        ObjectValidator validator,
        TimeProvider time,
        IEnumerable<IObjectAdmission> admissions,
        StoredValueProtector protector,
        GrainetesTelemetry telemetry,
        ILogger<ObjectGrain> logger)
    {
        this.telemetry = telemetry;
        this.state = state;
        this.protector = protector;
        allAdmissions = admissions;
        this.registry = registry;
        this.validator = validator;
        this.time = time;
        this.logger = logger;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        key = ObjectKey.Parse(this.GetPrimaryKeyString());
        type = registry.Get(key.Resource);
        collection = GrainFactory.GetGrain<IResourceCollectionGrain>(key.Resource);
        admissions = allAdmissions.Where(a => a.Handles(key.Resource)).ToArray();
        currentJson = protector.Unprotect(state.State.Json);
        current = currentJson is { } json ? JsonNode.Parse(json)!.AsObject() : null;

        // A silo that died between this object's write and its log entry leaves the two apart; the
        // stored object is the truth, so log it again (with a new version) or log its deletion.
        if (!await collection.IsKnown(key.Namespace, key.Name, current is null ? 0 : state.State.ResourceVersion))
        {
            LogRepair(key.GrainKey);
            if (current is not null)
            {
                await CommitAsync(current.DeepClone().AsObject(), WatchEventType.Modified, dryRun: false);
            }
            else if (await collection.Cached(key.Namespace, key.Name) is { } logged)
            {
                var rv = await collection.Reserve();
                var gone = JsonNode.Parse(logged)!.AsObject();
                SetVersion(gone, rv);
                await collection.Committed(new ChangeEvent(rv, WatchEventType.Deleted, key.Namespace, key.Name, gone.ToJsonString()));
            }
        }
    }

    public Task<string?> Get() => Task.FromResult(currentJson);

    public async Task<string> Create(string json, WriteOptions options)
    {
        if (current is not null)
        {
            throw ApiException.AlreadyExists(type.Plural, key.Name, type.Group);
        }

        var obj = Parse(json);
        PrepareCreate(obj);
        string result;
        try
        {
            await BeforeCreateAsync(obj, options.DryRun);
            validator.Validate(type, obj);
            result = await CommitAsync(obj, WatchEventType.Added, options.DryRun);
        }
        catch (Exception) when (admissions.Length > 0)
        {
            // What a before-hook took (a quota charge) goes back when the object was not stored.
            await AfterFailedAsync(obj, options.DryRun);
            throw;
        }

        if (type.StorageKey == "namespaces" && !options.DryRun)
        {
            GrainFactory.GetGrain<INamespaceControllerGrain>(key.Name).Reconcile().Ignore();
        }

        return result;
    }

    public async Task<string> Update(string json, WriteOptions options)
    {
        var live = current ?? throw ApiException.NotFound(type.Plural, key.Name, type.Group);
        var incoming = Parse(json);
        if (options.Subresource == "scale")
        {
            incoming = ScaleSubresource.FromScale(live, incoming);
        }

        var saved = await SaveUpdateAsync(live, incoming, options);
        return options.Subresource == "scale" ? ScaleSubresource.ToScale(JsonNode.Parse(saved)!.AsObject()).ToJsonString() : saved;
    }

    public async Task<string> Patch(string patch, WriteOptions options)
    {
        var patchType = options.PatchType ?? "application/merge-patch+json";
        JsonNode? patchNode;
        try
        {
            patchNode = JsonNode.Parse(patch);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw ApiException.BadRequest("error decoding patch: " + ex.Message);
        }

        if (current is null)
        {
            if (patchType.StartsWith("application/apply-patch", StringComparison.Ordinal) && patchNode is JsonObject applied)
            {
                var created = ServerSideApply.Apply(null, applied, type.ModelType, options.FieldManager ?? "unknown");
                return await Create(created.ToJsonString(), options);
            }

            throw ApiException.NotFound(type.Plural, key.Name, type.Group);
        }

        var live = current;
        if (options.Subresource == "binding" && !string.IsNullOrEmpty((string?)live["spec"]?["nodeName"]))
        {
            throw ApiException.Conflict(type.Plural, key.Name, $"pod {key.Name} is already assigned to node \"{(string?)live["spec"]?["nodeName"]}\"", type.Group);
        }

        var target = options.Subresource == "scale" ? ScaleSubresource.ToScale(live) : live.DeepClone().AsObject();
        var targetModel = options.Subresource == "scale" ? typeof(k8s.Models.V1Scale) : type.ModelType;
        var patched = PatchApplier.Apply(target, patchType, patchNode, targetModel, options.FieldManager);

        PatchedIdentity.Require(patched, key.Name, key.Namespace);
        if (options.Subresource == "scale")
        {
            patched = ScaleSubresource.FromScale(live, patched);
        }

        var saved = await SaveUpdateAsync(live, patched, options);
        return options.Subresource == "scale" ? ScaleSubresource.ToScale(JsonNode.Parse(saved)!.AsObject()).ToJsonString() : saved;
    }

    public async Task<DeleteResult> Delete(DeleteOptions options)
    {
        var live = current ?? throw ApiException.NotFound(type.Plural, key.Name, type.Group);
        var meta = live["metadata"]!.AsObject();
        if (options.PreconditionUid is { } uid && uid != (string?)meta["uid"])
        {
            throw ApiException.Conflict(type.Plural, key.Name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {(string?)meta["uid"]}", type.Group);
        }

        if (options.PreconditionResourceVersion is { } rv && rv != (string?)meta["resourceVersion"])
        {
            throw ApiException.Conflict(type.Plural, key.Name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {(string?)meta["resourceVersion"]}", type.Group);
        }

        var policy = options.PropagationPolicy ?? "Background";
        var obj = live.DeepClone().AsObject();
        var objMeta = obj["metadata"]!.AsObject();
        var finalizers = objMeta["finalizers"] as JsonArray ?? new JsonArray();
        if (policy == "Foreground" && !finalizers.Any(f => (string?)f == "foregroundDeletion"))
        {
            finalizers.Add("foregroundDeletion");
        }
        else if (policy == "Orphan" && !finalizers.Any(f => (string?)f == "orphan"))
        {
            finalizers.Add("orphan");
        }

        if (finalizers.Count > 0)
        {
            objMeta["finalizers"] = finalizers;
        }

        var isNamespace = type.StorageKey == "namespaces";
        var grace = await PodGracePeriodAsync(obj, options);
        if (grace > 0)
        {
            // A pod on a node is deleted gracefully: its kubelet stops the containers, then removes it.
            var currentGrace = JsonNumbers.ToInt64(objMeta["deletionGracePeriodSeconds"]);
            if (objMeta["deletionTimestamp"] is null || currentGrace is null || grace < currentGrace)
            {
                objMeta["deletionTimestamp"] = Now(TimeSpan.FromSeconds(grace));
                objMeta["deletionGracePeriodSeconds"] = grace;
            }

            var marked = JsonNode.DeepEquals(obj, live) ? currentJson! : await CommitAsync(obj, WatchEventType.Modified, options.DryRun);
            return new DeleteResult(marked, false);
        }

        if (finalizers.Count > 0 || isNamespace)
        {
            if (objMeta["deletionTimestamp"] is not null && options.GracePeriodSeconds == 0)
            {
                // The kubelet is done (or a force delete): only the finalizers hold it now.
                objMeta["deletionGracePeriodSeconds"] = 0;
            }

            if (objMeta["deletionTimestamp"] is null)
            {
                objMeta["deletionTimestamp"] = Now();
                objMeta["deletionGracePeriodSeconds"] = 0;
                if (isNamespace)
                {
                    obj["status"] = new JsonObject { ["phase"] = "Terminating" };
                }
            }

            var json = JsonNode.DeepEquals(obj, live) ? currentJson! : await CommitAsync(obj, WatchEventType.Modified, options.DryRun);
            if (!options.DryRun)
            {
                AfterMarkedForDeletion(obj, policy);
            }

            return new DeleteResult(json, false);
        }

        var removed = await RemoveAsync(obj, options.DryRun);
        return new DeleteResult(removed, true);
    }

    private void AfterMarkedForDeletion(JsonObject obj, string policy)
    {
        if (type.StorageKey == "namespaces")
        {
            GrainFactory.GetGrain<INamespaceControllerGrain>(key.Name).Reconcile().Ignore();
        }
        else if (policy is "Foreground" or "Orphan")
        {
            NotifyGarbageCollector(obj, policy);
        }
    }

    private async Task<string> SaveUpdateAsync(JsonObject live, JsonObject incoming, WriteOptions options)
    {
        var liveMeta = live["metadata"]!.AsObject();
        if (incoming["metadata"]?["resourceVersion"] is JsonNode wanted && (string?)wanted is { Length: > 0 } wantedVersion
            && wantedVersion != (string?)liveMeta["resourceVersion"])
        {
            throw ApiException.Conflict(type.Plural, key.Name, "the object has been modified; please apply your changes to the latest version and try again", type.Group);
        }

        JsonObject updated;
        if (options.Subresource == "status")
        {
            updated = live.DeepClone().AsObject();
            updated["status"] = incoming["status"]?.DeepClone();
        }
        else
        {
            updated = incoming.DeepClone().AsObject();
            if (type.HasStatus)
            {
                updated["status"] = live["status"]?.DeepClone();
            }

            if (options.Subresource == "binding")
            {
                // As Kubernetes' binding does: the pod is scheduled in the same write that assigns its node.
                MarkScheduled(updated);
            }
        }

        updated["apiVersion"] = type.ApiVersion;
        updated["kind"] = type.Kind;
        var meta = updated["metadata"] as JsonObject ?? new JsonObject();
        updated["metadata"] = meta;
        foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion" })
        {
            meta[field] = liveMeta[field]?.DeepClone();
        }

        meta.Remove("selfLink");
        RemoveNulls(meta);
        ObjectDefaults.Apply(type, updated);
        try
        {
            return await SaveAdmittedUpdateAsync(live, updated, meta, liveMeta, options);
        }
        catch (Exception) when (admissions.Length > 0)
        {
            await AfterFailedAsync(updated, options.DryRun);
            throw;
        }
    }

    private async Task<string> SaveAdmittedUpdateAsync(JsonObject live, JsonObject updated, JsonObject meta, JsonObject liveMeta, WriteOptions options)
    {
        await BeforeUpdateAsync(live, updated, options.DryRun);

        if (JsonNode.DeepEquals(updated, live))
        {
            return currentJson!;
        }

        if (IsLeaseRenewalOnly(live, updated) && time.GetUtcNow() - lastPersisted < LeaseRenewalPersistInterval && !options.DryRun)
        {
            // Lease renewals are heartbeats: kept in memory (reads see them) and persisted coarsely,
            // so a thousand nodes renewing every 10 s do not become a hundred table writes a second.
            current = updated;
            currentJson = updated.ToJsonString();
            return currentJson;
        }

        if (type.TracksGeneration && !JsonNode.DeepEquals(updated["spec"], live["spec"]))
        {
            meta["generation"] = (JsonNumbers.ToInt64(liveMeta["generation"]) ?? 0) + 1;
        }

        validator.Validate(type, updated);
        // Finalizers all gone: the object goes, unless a pod's kubelet is still within its grace period.
        if (meta["deletionTimestamp"] is not null && !HasFinalizers(updated) && (JsonNumbers.ToInt64(meta["deletionGracePeriodSeconds"]) ?? 0) == 0)
        {
            return await RemoveAsync(updated, options.DryRun);
        }

        return await CommitAsync(updated, WatchEventType.Modified, options.DryRun);
    }

    private async Task<string> CommitAsync(JsonObject obj, WatchEventType eventType, bool dryRun)
    {
        if (dryRun)
        {
            return obj.ToJsonString();
        }

        using var span = StartCommitSpan(eventType);
        var rv = await collection.Reserve();
        span?.SetTag("k8s.resource_version", rv);
        SetVersion(obj, rv);
        var json = obj.ToJsonString();
        var previous = (state.State.Json, state.State.ResourceVersion);
        state.State.Json = protector.Protect(key.Resource, json);
        state.State.ResourceVersion = rv;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception ex)
        {
            (state.State.Json, state.State.ResourceVersion) = previous;
            await collection.Abandon(rv);
            LogWriteFailed(ex, key.GrainKey);
            DeactivateOnIdle(); // reload state and ETag from storage on the next call
            throw ApiException.ServiceUnavailable("storage is unavailable: " + ex.GetType().Name, 1);
        }

        var before = current;
        current = obj;
        currentJson = json;
        lastPersisted = time.GetUtcNow();
        if (!await ReportCommittedAsync(new ChangeEvent(rv, eventType, key.Namespace, key.Name, json, GrainetesTelemetry.CurrentTraceParent())))
        {
            json = await RelogStoredAsync(obj, eventType);
        }

        await AfterCommitAsync(before, obj, removed: false);
        return json;
    }

    private async Task<string> RemoveAsync(JsonObject obj, bool dryRun)
    {
        if (dryRun)
        {
            return obj.ToJsonString();
        }

        using var span = StartCommitSpan(WatchEventType.Deleted);
        var rv = await collection.Reserve();
        span?.SetTag("k8s.resource_version", rv);
        SetVersion(obj, rv);
        var json = obj.ToJsonString();
        var previous = (state.State.Json, state.State.ResourceVersion);
        try
        {
            await state.ClearStateAsync();
        }
        catch (Exception ex)
        {
            (state.State.Json, state.State.ResourceVersion) = previous;
            await collection.Abandon(rv);
            LogWriteFailed(ex, key.GrainKey);
            DeactivateOnIdle();
            throw ApiException.ServiceUnavailable("storage is unavailable: " + ex.GetType().Name, 1);
        }

        current = null;
        currentJson = null;
        if (!await ReportCommittedAsync(new ChangeEvent(rv, WatchEventType.Deleted, key.Namespace, key.Name, json, GrainetesTelemetry.CurrentTraceParent())))
        {
            json = await RelogStoredAsync(obj, WatchEventType.Deleted);
        }

        NotifyGarbageCollector(obj, "Background");
        await AfterCommitAsync(null, obj, removed: true);
        return json;
    }

    /// <summary>
    /// Reports a stored change to the kind's log. When the report fails, the collection's activation may have died
    /// with the change unlogged (its silo was killed): asks the collection (reactivated from the log if need be)
    /// whether it knows the change. False means the change is stored but unlogged: a read would show what no list
    /// or watch ever will.
    /// </summary>
    private async Task<bool> ReportCommittedAsync(ChangeEvent change)
    {
        try
        {
            await collection.Committed(change);
            return true;
        }
        catch (Exception ex)
        {
            LogReportFailed(ex, key.GrainKey, change.ResourceVersion);
            bool known;
            try
            {
                known = change.Type == WatchEventType.Deleted
                    ? await collection.IsKnown(key.Namespace, key.Name, 0) || await collection.IsKnown(key.Namespace, key.Name, change.ResourceVersion)
                    : await collection.IsKnown(key.Namespace, key.Name, change.ResourceVersion);
            }
            catch (Exception)
            {
                // Cannot tell now: the next activation checks and repairs (OnActivateAsync).
                DeactivateOnIdle();
                throw ApiException.ServiceUnavailable("the change is stored but its log entry is uncertain; retry", 1);
            }

            if (known && ex is ApiException)
            {
                // Queued in the collection in order (it was slow, not lost): logged once storage catches up.
                throw;
            }

            return known;
        }
    }

    /// <summary>
    /// Logs a stored but unlogged change again under a new version, as activation repair does, within the same call:
    /// the writer then gets an answer that lists and watches agree with.
    /// </summary>
    private async Task<string> RelogStoredAsync(JsonObject obj, WatchEventType eventType)
    {
        LogRepair(key.GrainKey);
        try
        {
            var rv = await collection.Reserve();
            SetVersion(obj, rv);
            var json = obj.ToJsonString();
            if (eventType != WatchEventType.Deleted)
            {
                state.State.Json = protector.Protect(key.Resource, json);
                state.State.ResourceVersion = rv;
                await state.WriteStateAsync();
                currentJson = json;
                lastPersisted = time.GetUtcNow();
            }

            await collection.Committed(new ChangeEvent(rv, eventType, key.Namespace, key.Name, json, GrainetesTelemetry.CurrentTraceParent()));
            return json;
        }
        catch (Exception ex) when (ex is not ApiException { Code: 503 })
        {
            LogWriteFailed(ex, key.GrainKey);
            DeactivateOnIdle(); // the next activation compares storage with the log and repairs
            throw ApiException.ServiceUnavailable("the change is stored but its log entry is uncertain; retry", 1);
        }
        catch (ApiException)
        {
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>
    /// The commit point as a span: its context travels with the change event, so whatever the change wakes
    /// continues this trace.
    /// </summary>
    private System.Diagnostics.Activity? StartCommitSpan(WatchEventType eventType)
    {
        var span = telemetry.StartSpan("commit " + key.Resource);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("k8s.resource", key.Resource);
            span.SetTag("k8s.namespace", key.Namespace);
            span.SetTag("k8s.name", key.Name);
            span.SetTag("k8s.event", eventType.ToString());
        }

        return span;
    }

    private void NotifyGarbageCollector(JsonObject obj, string policy)
    {
        // The collector is a grain per namespace; a cluster-scoped owner (a node) has no namespace to key it by,
        // and asking for a grain with an empty key throws after the delete has already committed.
        if (key.Namespace.Length == 0)
        {
            return;
        }

        if ((string?)obj["metadata"]?["uid"] is { } uid)
        {
            GrainFactory.GetGrain<IGarbageCollectorGrain>(key.Namespace).OwnerDeleted(key.Resource, key.Name, uid, policy).Ignore();
        }
    }

    private void PrepareCreate(JsonObject obj)
    {
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = meta;
        meta["name"] = key.Name;
        if (type.Namespaced)
        {
            meta["namespace"] = key.Namespace;
        }
        else
        {
            meta.Remove("namespace");
        }

        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Now();
        foreach (var field in new[] { "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "generation" })
        {
            meta.Remove(field);
        }

        if (type.TracksGeneration)
        {
            meta["generation"] = 1;
        }

        if (type.HasStatus && type.StorageKey is not ("nodes" or "namespaces"))
        {
            obj.Remove("status");
        }

        RemoveNulls(meta);
        ObjectDefaults.Apply(type, obj);
    }

    private void MarkScheduled(JsonObject pod)
    {
        var status = pod["status"] as JsonObject ?? new JsonObject();
        pod["status"] = status;
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        var kept = conditions.OfType<JsonObject>().Where(c => (string?)c["type"] != "PodScheduled").Select(c => c.DeepClone()).ToList();
        kept.Add(new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = Now() });
        status["conditions"] = new JsonArray(kept.ToArray());
    }

    private bool IsLeaseRenewalOnly(JsonObject live, JsonObject updated)
    {
        if (type.StorageKey != "leases.coordination.k8s.io" || live["spec"] is not JsonObject liveSpec || updated["spec"] is not JsonObject updatedSpec)
        {
            return false;
        }

        var a = live.DeepClone().AsObject();
        var b = updated.DeepClone().AsObject();
        a["spec"]!.AsObject().Remove("renewTime");
        b["spec"]!.AsObject().Remove("renewTime");
        return JsonNode.DeepEquals(a, b) && !JsonNode.DeepEquals(liveSpec["renewTime"], updatedSpec["renewTime"]);
    }

    private static bool HasFinalizers(JsonObject obj) =>
        obj["metadata"]?["finalizers"] is JsonArray { Count: > 0 }
        || (obj["kind"]?.GetValue<string>() == "Namespace" && obj["spec"]?["finalizers"] is JsonArray { Count: > 0 });

    private static void SetVersion(JsonObject obj, long rv) =>
        obj["metadata"]!["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);

    private string Now(TimeSpan? offset = null) =>
        (time.GetUtcNow() + (offset ?? TimeSpan.Zero)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The grace a pod running on a node gets: asked for, else its own, else 30 s. A pod that is not on a
    /// node, has finished, or whose node no longer exists has nothing to wait for (Kubernetes' pod GC
    /// removes pods of vanished nodes the same way); the kubelet still cleans up what it sees deleted.
    /// </summary>
    private async Task<long> PodGracePeriodAsync(JsonObject obj, DeleteOptions options)
    {
        var nodeName = (string?)obj["spec"]?["nodeName"];
        if (type.StorageKey != "pods" || string.IsNullOrEmpty(nodeName) || (string?)obj["status"]?["phase"] is "Succeeded" or "Failed")
        {
            return 0;
        }

        var grace = Math.Max(0, options.GracePeriodSeconds ?? JsonNumbers.ToInt64(obj["spec"]?["terminationGracePeriodSeconds"]) ?? 30);
        if (grace == 0 || await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", nodeName).GrainKey).Get() is null)
        {
            return 0;
        }

        return grace;
    }

    private static void RemoveNulls(JsonObject obj)
    {
        foreach (var name in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            obj.Remove(name);
        }
    }

    private static JsonObject Parse(string json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw ApiException.BadRequest("the object must be a JSON object");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw ApiException.BadRequest("the object could not be decoded: " + ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Object {Key} was stored but never logged; logging it again")]
    private partial void LogRepair(string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting version {ResourceVersion} of object {Key} to its kind's log failed")]
    private partial void LogReportFailed(Exception ex, string key, long resourceVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing object {Key} failed")]
    private partial void LogWriteFailed(Exception ex, string key);
}
