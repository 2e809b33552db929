using System.Text.Json.Nodes;
using Grainetes.Abstractions.Quota;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Controllers;
using Grainetes.Machinery.Admission;
using Grainetes.Machinery.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace Grainetes.Grains.Quota;

/// <summary>
/// One namespace's admission limits and quota controller. Nothing here is persisted: the quotas and limit
/// ranges are objects in the store, usage is rebuilt from the store on activation and by a reminder, and a
/// held charge lives only until its write commits or fails (or a timeout, for a silo lost mid-write).
/// </summary>
public sealed partial class ResourceQuotaGrain : Grain, IResourceQuotaGrain, IRemindable
{
    private const string ReminderName = "quota-resync";

    /// <summary>Longer than a grain call may take, so a charge outlives its write unless the writer died.</summary>
    private static readonly TimeSpan HoldTimeout = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan StatusDelay = TimeSpan.FromMilliseconds(300);

    private readonly TimeProvider time;
    private readonly IOptions<ControllerManagerOptions> controllerOptions;
    private readonly IOptions<ReminderOptions> reminderOptions;
    private readonly ILogger<ResourceQuotaGrain> logger;

    private readonly Dictionary<string, Dictionary<string, decimal>> committed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (IReadOnlyDictionary<string, decimal> Usage, DateTimeOffset At)> held = new(StringComparer.Ordinal);
    private List<JsonObject> quotaObjects = [];
    private List<QuotaLimit> quotas = [];
    private List<JsonObject> limitRanges = [];
    private long policyVersion;
    private long loadedVersion = -1;
    private bool? reminderHeld;
    private IGrainTimer? statusTimer;

    public ResourceQuotaGrain(
        TimeProvider time,
        IOptions<ControllerManagerOptions> controllerOptions,
        IOptions<ReminderOptions> reminderOptions,
        ILogger<ResourceQuotaGrain> logger)
    {
        this.time = time;
        this.controllerOptions = controllerOptions;
        this.reminderOptions = reminderOptions;
        this.logger = logger;
    }

    private string Namespace => this.GetPrimaryKeyString();

    public async Task<QuotaAdmissionResult> Admit(QuotaAdmissionRequest request)
    {
        await EnsureLoadedAsync();
        var usage = request.Usage;
        var pod = request.PodJson is { } json ? JsonNode.Parse(json)!.AsObject() : null;
        string? mutated = null;
        if (pod is not null && request.PreviousUsage is null && limitRanges.Count > 0)
        {
            if (LimitRanges.ApplyDefaults(pod, limitRanges))
            {
                mutated = pod.ToJsonString();
                usage = QuotaUsage.Of(request.StorageKey, pod);
            }

            if (LimitRanges.Refusal(pod, limitRanges) is { } limitRefusal)
            {
                return new QuotaAdmissionResult { Refusal = limitRefusal };
            }
        }

        if (quotas.Count == 0)
        {
            return new QuotaAdmissionResult { Json = mutated };
        }

        ExpireHolds();
        var requested = ResourceAmounts.Subtract(usage, request.PreviousUsage ?? new Dictionary<string, decimal>());
        if (QuotaEvaluation.Refusal(request.StorageKey, pod ?? new JsonObject(), quotas, CurrentUsage(), requested) is { } quotaRefusal)
        {
            return new QuotaAdmissionResult { Refusal = quotaRefusal };
        }

        if (!request.DryRun)
        {
            held[request.Uid] = (usage, time.GetUtcNow());
            StatusChanged();
        }

        return new QuotaAdmissionResult { Json = mutated };
    }

    public async Task Observe(string uid, IReadOnlyDictionary<string, decimal>? usage)
    {
        await EnsureLoadedAsync();
        held.Remove(uid);
        if (quotas.Count == 0)
        {
            return;
        }

        if (usage is null)
        {
            committed.Remove(uid);
        }
        else
        {
            committed[uid] = new Dictionary<string, decimal>(usage, StringComparer.Ordinal);
        }

        StatusChanged();
    }

    public Task Release(string uid)
    {
        if (held.Remove(uid))
        {
            StatusChanged();
        }

        return Task.CompletedTask;
    }

    public Task PoliciesChanged()
    {
        policyVersion++;
        StatusChanged();
        return Task.CompletedTask;
    }

    public async Task Resync()
    {
        policyVersion++;
        await EnsureLoadedAsync();
        await WriteStatusAsync();
    }

    public async Task<IReadOnlyDictionary<string, decimal>> Used()
    {
        await EnsureLoadedAsync();
        ExpireHolds();
        return CurrentUsage();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // A reminder left from an earlier activation is ours to drop once the namespace has no quotas.
        reminderHeld = true;
        return Resync();
    }

    /// <summary>Committed usage, with each held charge in place of its object's committed usage.</summary>
    private Dictionary<string, decimal> CurrentUsage()
    {
        var total = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (uid, usage) in committed)
        {
            if (!held.ContainsKey(uid))
            {
                total = ResourceAmounts.Add(total, usage);
            }
        }

        foreach (var (_, hold) in held)
        {
            total = ResourceAmounts.Add(total, hold.Usage);
        }

        return total;
    }

    private void ExpireHolds()
    {
        var cutoff = time.GetUtcNow() - HoldTimeout;
        foreach (var uid in held.Where(h => h.Value.At < cutoff).Select(h => h.Key).ToList())
        {
            held.Remove(uid);
        }
    }

    /// <summary>
    /// Reads the namespace's quotas and limit ranges, and when there are quotas the usage of every counted
    /// object. A change reported while loading makes the load run again.
    /// </summary>
    private async Task EnsureLoadedAsync()
    {
        while (loadedVersion != policyVersion)
        {
            var version = policyVersion;
            var ranges = await ListAsync("limitranges");

            // Scoped quotas (scopes, scopeSelector) count only the pods their scopes select, which this grain does not
            // evaluate: left alone rather than enforced against every pod.
            var quotaList = (await ListAsync("resourcequotas")).Where(q => !IsScoped(q)).ToList();
            var usage = new Dictionary<string, Dictionary<string, decimal>>(StringComparer.Ordinal);
            var limits = quotaList
                .Where(q => q["metadata"]?["deletionTimestamp"] is null)
                .Select(q => new QuotaLimit((string?)q["metadata"]?["name"] ?? "", ResourceAmounts.Parse(q["spec"]?["hard"])))
                .ToList();
            if (limits.Count > 0)
            {
                foreach (var kind in QuotaUsage.CountedKinds)
                {
                    foreach (var item in await ListAsync(kind))
                    {
                        if ((string?)item["metadata"]?["uid"] is { } uid)
                        {
                            usage[uid] = QuotaUsage.Of(kind, item);
                        }
                    }
                }
            }

            if (version != policyVersion)
            {
                continue;
            }

            limitRanges = ranges;
            quotaObjects = quotaList;
            quotas = limits;
            committed.Clear();
            foreach (var (uid, used) in usage)
            {
                committed[uid] = used;
            }

            loadedVersion = version;
            await FollowReminderAsync(quotas.Count > 0);
        }
    }

    private static bool IsScoped(JsonObject quota) =>
        quota["spec"]?["scopes"] is JsonArray { Count: > 0 } || quota["spec"]?["scopeSelector"] is JsonObject;

    private async Task<List<JsonObject>> ListAsync(string storageKey)
    {
        var list = await GrainFactory.GetGrain<IResourceCollectionGrain>(storageKey).List(new ListRequest { Namespace = Namespace });
        return list.Items.Select(i => JsonNode.Parse(i)!.AsObject()).ToList();
    }

    private void StatusChanged()
    {
        if (statusTimer is not null)
        {
            return;
        }

        // Several writes in a burst make one status write per quota.
        statusTimer = this.RegisterGrainTimer(
            async _ =>
            {
                statusTimer?.Dispose();
                statusTimer = null;
                await EnsureLoadedAsync();
                await WriteStatusAsync();
            },
            new GrainTimerCreationOptions(StatusDelay, Timeout.InfiniteTimeSpan));
    }

    /// <summary>Writes each quota's <c>status.hard</c> and <c>status.used</c> where they differ from what is stored.</summary>
    private async Task WriteStatusAsync()
    {
        ExpireHolds();
        var used = CurrentUsage();
        foreach (var quota in quotaObjects)
        {
            var name = (string?)quota["metadata"]?["name"] ?? "";
            var hard = quota["spec"]?["hard"] as JsonObject ?? new JsonObject();
            var status = new JsonObject
            {
                ["hard"] = hard.DeepClone(),
                ["used"] = ResourceAmounts.ToJson(ResourceAmounts.Mask(used, hard.Select(h => h.Key))),
            };
            if (JsonNode.DeepEquals(status, quota["status"]))
            {
                continue;
            }

            var update = quota.DeepClone().AsObject();
            update["metadata"]!.AsObject().Remove("resourceVersion");
            update["status"] = status;
            try
            {
                var stored = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("resourcequotas", Namespace, name).GrainKey)
                    .Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
                var index = quotaObjects.IndexOf(quota);
                if (index >= 0)
                {
                    quotaObjects[index] = JsonNode.Parse(stored)!.AsObject();
                }
            }
            catch (ApiException ex) when (ex.Code is 404 or 409)
            {
                // Deleted or changed meanwhile: the change reloads the quotas and writes again.
                policyVersion++;
                StatusChanged();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogStatusFailed(ex, Namespace, name);
                StatusChanged();
            }
        }
    }

    private async Task FollowReminderAsync(bool needed)
    {
        // Without quotas and without having held a reminder there is nothing to drop: no reminder-table read
        // for every namespace that only creates pods.
        if (reminderHeld == needed || (reminderHeld is null && !needed))
        {
            return;
        }

        try
        {
            if (needed)
            {
                var minimum = reminderOptions.Value.MinimumReminderPeriod;
                var period = controllerOptions.Value.ResyncPeriod < minimum ? minimum : controllerOptions.Value.ResyncPeriod;
                await this.RegisterOrUpdateReminder(ReminderName, period, period);
            }
            else if (await this.GetReminder(ReminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            reminderHeld = needed;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Admission works without it; the next load tries again.
            LogReminderFailed(ex, Namespace);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the status of quota {Namespace}/{Name}; retrying")]
    private partial void LogStatusFailed(Exception ex, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update the quota resync reminder of namespace {Namespace}")]
    private partial void LogReminderFailed(Exception ex, string @namespace);
}
