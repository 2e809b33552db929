using System.Text.Json.Nodes;
using Grainetes.Abstractions.Quota;
using Grainetes.Grains.Store;
using Grainetes.Machinery.Admission;
using Microsoft.Extensions.Logging;

namespace Grainetes.Grains.Quota;

/// <summary>
/// The ResourceQuota and LimitRanger admission plugins on the object grain's write path: pods and counted
/// objects are admitted by their namespace's <see cref="IResourceQuotaGrain"/> before they commit, report their
/// usage once committed and give their charge back if the write fails. Quota and limit-range objects get their
/// API defaults here and tell the namespace's grain when they change.
/// </summary>
public sealed partial class QuotaAdmission(IGrainFactory grains, ILogger<QuotaAdmission> logger) : IObjectAdmission
{
    public bool Handles(string storageKey) =>
        QuotaUsage.CountedKinds.Contains(storageKey) || storageKey is "resourcequotas" or "limitranges";

    public async Task BeforeCreateAsync(ObjectAdmissionContext context, JsonObject obj)
    {
        switch (context.Type.StorageKey)
        {
            case "resourcequotas":
                // Hard is known at once and nothing is used yet; the quota grain writes the real usage shortly.
                obj["status"] = new JsonObject
                {
                    ["hard"] = AdmissionJson.At(obj, "spec", "hard")?.DeepClone() ?? new JsonObject(),
                    ["used"] = ResourceAmounts.ToJson(ResourceAmounts.Mask(new Dictionary<string, decimal>(), ((AdmissionJson.At(obj, "spec", "hard") as JsonObject) ?? []).Select(h => h.Key))),
                };
                return;
            case "limitranges":
                LimitRanges.DefaultItems(obj);
                return;
        }

        await AdmitAsync(context, obj, previous: null);
    }

    public async Task BeforeUpdateAsync(ObjectAdmissionContext context, JsonObject live, JsonObject updated)
    {
        switch (context.Type.StorageKey)
        {
            case "resourcequotas":
                if (!JsonNode.DeepEquals(live["spec"], updated["spec"]) && updated["status"] is JsonObject status)
                {
                    status["hard"] = AdmissionJson.At(updated, "spec", "hard")?.DeepClone() ?? new JsonObject();
                }

                return;
            case "limitranges":
                LimitRanges.DefaultItems(updated);
                return;
        }

        // Only an update that takes more (a service turned NodePort, a pod's resources resized) is checked.
        var before = QuotaUsage.Of(context.Type.StorageKey, live);
        var after = QuotaUsage.Of(context.Type.StorageKey, updated);
        if (after.Any(a => a.Value > before.GetValueOrDefault(a.Key)))
        {
            await AdmitAsync(context, updated, live);
        }
    }

    public async Task AfterCommitAsync(ObjectAdmissionContext context, JsonObject? previous, JsonObject obj, bool removed)
    {
        var grain = grains.GetGrain<IResourceQuotaGrain>(context.Key.Namespace);
        try
        {
            if (context.Type.StorageKey is "resourcequotas" or "limitranges")
            {
                // The grain's own status writes change only status: they need no reload.
                if (removed || previous is null || !JsonNode.DeepEquals(previous["spec"], obj["spec"]))
                {
                    await grain.PoliciesChanged();
                }

                return;
            }

            var usage = removed ? null : QuotaUsage.Of(context.Type.StorageKey, obj);
            if (previous is not null && usage is not null && SameUsage(QuotaUsage.Of(context.Type.StorageKey, previous), usage))
            {
                return;
            }

            await grain.Observe(Uid(obj), usage);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The write stands; the grain's resync counts it.
            LogReportFailed(ex, context.Key.GrainKey);
        }
    }

    public async Task AfterFailedAsync(ObjectAdmissionContext context, JsonObject obj)
    {
        if (!QuotaUsage.CountedKinds.Contains(context.Type.StorageKey))
        {
            return;
        }

        try
        {
            await grains.GetGrain<IResourceQuotaGrain>(context.Key.Namespace).Release(Uid(obj));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A charge not given back expires on its own.
            LogReportFailed(ex, context.Key.GrainKey);
        }
    }

    private async Task AdmitAsync(ObjectAdmissionContext context, JsonObject obj, JsonObject? previous)
    {
        // Usage is worked out here, so the namespace's grain parses nothing for kinds other than pods.
        var result = await grains.GetGrain<IResourceQuotaGrain>(context.Key.Namespace).Admit(new QuotaAdmissionRequest
        {
            StorageKey = context.Type.StorageKey,
            Uid = Uid(obj),
            Usage = QuotaUsage.Of(context.Type.StorageKey, obj),
            PreviousUsage = previous is null ? null : QuotaUsage.Of(context.Type.StorageKey, previous),
            PodJson = context.Type.StorageKey == "pods" ? obj.ToJsonString() : null,
            DryRun = context.DryRun,
        });
        if (result.Refusal is { } refusal)
        {
            throw AdmissionRefusal.Forbidden(context.Type, context.Key.Name, refusal);
        }

        if (result.Json is { } mutated)
        {
            // LimitRange defaults: the object to store is the one admission returned.
            var defaulted = JsonNode.Parse(mutated)!.AsObject();
            foreach (var field in obj.Select(p => p.Key).ToList())
            {
                obj.Remove(field);
            }

            foreach (var (field, value) in defaulted.ToList())
            {
                defaulted.Remove(field);
                obj[field] = value;
            }
        }
    }

    private static bool SameUsage(Dictionary<string, decimal> a, Dictionary<string, decimal> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    private static string Uid(JsonObject obj) => AdmissionJson.Str(AdmissionJson.At(obj, "metadata", "uid")) ?? "";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report the quota usage of {Key}; the quota resync will count it")]
    private partial void LogReportFailed(Exception ex, string key);
}
