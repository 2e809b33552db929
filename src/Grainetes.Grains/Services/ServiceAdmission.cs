using System.Text.Json.Nodes;
using Grainetes.Abstractions.Services;
using Grainetes.Grains.Store;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Validation;
using Microsoft.Extensions.Logging;
using static Grainetes.Grains.Services.ServiceSpecs;

namespace Grainetes.Grains.Services;

/// <summary>
/// The Service registry strategy of Kubernetes' API server: allocates a ClusterIP and NodePorts on create
/// (honouring requested ones), keeps them across updates that leave them out, and frees them once the
/// service is gone. The allocator grain is the only place addresses are handed out.
/// </summary>
public sealed partial class ServiceAdmission(IGrainFactory grains, ObjectValidator validator, ILogger<ServiceAdmission> logger) : IObjectAdmission
{
    private IServiceIpAllocatorGrain Allocator => grains.GetGrain<IServiceIpAllocatorGrain>("default");

    public bool Handles(string storageKey) => storageKey == "services";

    public async Task BeforeCreateAsync(ObjectAdmissionContext context, JsonObject obj)
    {
        var spec = Spec(obj);
        var wantsIp = WantsClusterIP(Type(obj));
        var requested = ClusterIPs(obj).FirstOrDefault();
        var headless = Str(spec["clusterIP"]) == "None" || (spec["clusterIPs"] as JsonArray)?.Select(Str).FirstOrDefault() == "None";
        if (!wantsIp)
        {
            return;
        }

        var request = new ServiceAllocationRequest
        {
            Owner = Owner(context),
            Uid = Str(obj["metadata"]?["uid"]) ?? "",
            ClusterIP = headless ? null : requested ?? "",
            NodePorts = WantsNodePorts(obj) ? Ports(obj).Select(p => JsonNumbers.ToInt32(p["nodePort"]) ?? 0).ToList() : [],
            Replace = true,
            DryRun = context.DryRun,
        };

        // An invalid service would hold its addresses until the repair loop noticed: refuse it before allocating.
        validator.Validate(context.Type, obj);
        Apply(context, obj, request, await Allocator.Allocate(request));
    }

    public async Task BeforeUpdateAsync(ObjectAdmissionContext context, JsonObject live, JsonObject updated)
    {
        var spec = Spec(updated);
        var liveSpec = live["spec"] as JsonObject ?? new JsonObject();
        var wantsIp = WantsClusterIP(Type(updated));
        var liveIp = Str(liveSpec["clusterIP"]);
        var newIp = ClusterIPs(updated).FirstOrDefault() ?? (Str(spec["clusterIP"]) == "None" ? "None" : null);
        if (wantsIp && newIp is null && !string.IsNullOrEmpty(liveIp))
        {
            // Left out by a replace or apply that did not carry it: the address stays (Kubernetes does the same).
            spec["clusterIP"] = liveIp;
            spec["clusterIPs"] = liveSpec["clusterIPs"]?.DeepClone() ?? new JsonArray(liveIp);
            newIp = liveIp;
        }
        else if (wantsIp && WantsClusterIP(Type(live)) && !string.IsNullOrEmpty(liveIp) && newIp != liveIp)
        {
            throw ApiException.Invalid("Service", context.Key.Name, [new StatusCause("FieldValueInvalid", "spec.clusterIPs[0]", "may not change once set")]);
        }

        if (WantsNodePorts(updated))
        {
            var livePorts = Ports(live).ToList();
            foreach (var port in Ports(updated).Where(p => (JsonNumbers.ToInt32(p["nodePort"]) ?? 0) == 0))
            {
                if (MatchingPort(livePorts, port) is { } old && JsonNumbers.ToInt32(old["nodePort"]) is > 0 and var kept)
                {
                    port["nodePort"] = kept;
                }
            }
        }
        else
        {
            // Node ports go with the type that needed them.
            foreach (var port in Ports(updated))
            {
                port.Remove("nodePort");
            }
        }

        if (!wantsIp)
        {
            FillDefaults(updated, null, headless: false);
            return;
        }

        var request = new ServiceAllocationRequest
        {
            Owner = Owner(context),
            Uid = Str(updated["metadata"]?["uid"]) ?? "",
            ClusterIP = newIp == "None" ? null : newIp ?? "",
            NodePorts = WantsNodePorts(updated) ? Ports(updated).Select(p => JsonNumbers.ToInt32(p["nodePort"]) ?? 0).ToList() : [],
            Replace = false,
            DryRun = context.DryRun,
        };
        var unchanged = request.ClusterIP == (ClusterIPs(live).FirstOrDefault())
            && request.NodePorts.All(p => p != 0 && NodePorts(live).Contains(p));
        if (unchanged)
        {
            // Nothing new to hold (status writes, label edits): no allocator call on this path.
            FillDefaults(updated, request.ClusterIP, headless: request.ClusterIP is null);
            return;
        }

        validator.Validate(context.Type, updated);
        Apply(context, updated, request, await Allocator.Allocate(request));
    }

    public async Task AfterCommitAsync(ObjectAdmissionContext context, JsonObject? previous, JsonObject obj, bool removed)
    {
        var uid = Str(obj["metadata"]?["uid"]) ?? "";
        try
        {
            if (removed)
            {
                await Allocator.Release(Owner(context), uid);
            }
            else if (previous is not null
                && (!ClusterIPs(previous).SequenceEqual(ClusterIPs(obj)) || !NodePorts(previous).Order().SequenceEqual(NodePorts(obj).Order())))
            {
                await Allocator.Retain(Owner(context), uid, ClusterIPs(obj).FirstOrDefault(), NodePorts(obj).ToList());
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The allocator's repair loop frees what this could not.
            LogReleaseFailed(ex, context.Key.GrainKey);
        }
    }

    private static void Apply(ObjectAdmissionContext context, JsonObject obj, ServiceAllocationRequest request, ServiceAllocationResult result)
    {
        if (!result.Succeeded)
        {
            var field = result.ErrorField!.StartsWith("nodePort:", StringComparison.Ordinal)
                ? $"spec.ports[{result.ErrorField["nodePort:".Length..]}].nodePort"
                : "spec.clusterIPs";
            if (result.Exhausted)
            {
                throw new ApiException(500, "InternalError", $"Internal error occurred: {result.ErrorMessage}");
            }

            var value = field == "spec.clusterIPs" ? $"[]string{{\"{result.ErrorValue}\"}}" : result.ErrorValue;
            throw ApiException.Invalid("Service", context.Key.Name, [new StatusCause("FieldValueInvalid", field, $"Invalid value: {value}: {result.ErrorMessage}")]);
        }

        var ports = Ports(obj).ToList();
        for (var i = 0; i < result.NodePorts.Count && i < ports.Count; i++)
        {
            ports[i]["nodePort"] = result.NodePorts[i];
        }

        FillDefaults(obj, result.ClusterIP, headless: request.ClusterIP is null);
    }

    /// <summary>The fields Kubernetes fills in once addresses are settled (single-stack IPv4 only here).</summary>
    private static void FillDefaults(JsonObject obj, string? clusterIP, bool headless)
    {
        var spec = Spec(obj);
        var type = Type(obj);
        if (!WantsClusterIP(type))
        {
            return;
        }

        if (clusterIP is not null)
        {
            spec["clusterIP"] = clusterIP;
            spec["clusterIPs"] = new JsonArray(clusterIP);
        }
        else if (headless)
        {
            spec["clusterIP"] = "None";
            spec["clusterIPs"] = new JsonArray("None");
        }

        spec["ipFamilies"] ??= new JsonArray("IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
        spec["internalTrafficPolicy"] ??= "Cluster";
        if (type is "NodePort" or "LoadBalancer")
        {
            spec["externalTrafficPolicy"] ??= "Cluster";
        }
    }

    /// <summary>The live port an updated one continues: same name when named, else same port and protocol.</summary>
    private static JsonObject? MatchingPort(List<JsonObject> livePorts, JsonObject port)
    {
        var name = Str(port["name"]);
        if (!string.IsNullOrEmpty(name))
        {
            return livePorts.FirstOrDefault(p => Str(p["name"]) == name);
        }

        var number = JsonNumbers.ToInt32(port["port"]);
        var protocol = Str(port["protocol"]) ?? "TCP";
        return livePorts.FirstOrDefault(p => JsonNumbers.ToInt32(p["port"]) == number && (Str(p["protocol"]) ?? "TCP") == protocol);
    }

    private static JsonObject Spec(JsonObject obj)
    {
        if (obj["spec"] is JsonObject spec)
        {
            return spec;
        }

        spec = new JsonObject();
        obj["spec"] = spec;
        return spec;
    }

    private static string Owner(ObjectAdmissionContext context) => context.Key.Namespace + "/" + context.Key.Name;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not give back the addresses of {Key}; the repair loop will")]
    private partial void LogReleaseFailed(Exception ex, string key);
}
