using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Services;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Selectors;
using Microsoft.Extensions.Logging;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Kubernetes' Endpoints and EndpointSlice controllers for one Service: the pods its selector matches that
/// have an IP become the addresses of its Endpoints (ready ones in <c>addresses</c>, others in
/// <c>notReadyAddresses</c>, grouped by their resolved ports) and the endpoints of its EndpointSlices (one
/// per distinct port set, normally one). Both are owned by the service, so they go with it. Services
/// without a selector are left alone: their endpoints are the user's.
/// </summary>
public sealed partial class EndpointsControllerGrain : ReconcilerGrain, IEndpointsControllerGrain
{
    public const string ManagedBy = "endpointslice-controller.k8s.io";
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";
    private const string Slices = "endpointslices.discovery.k8s.io";
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly ILogger<EndpointsControllerGrain> logger;

    public EndpointsControllerGrain(TimeProvider time, ILogger<EndpointsControllerGrain> logger)
        : base(logger, time)
    {
        this.logger = logger;
    }

    private protected override async Task<ReconcileOutcome> ReconcileOnceAsync()
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("services", ns, name).GrainKey).Get();
        if (json is null)
        {
            return ReconcileOutcome.Gone;
        }

        var svc = Parse(json);
        var selector = ServiceSpecs.Selector(svc);
        if (selector is null || IsDeleting(svc))
        {
            return new ReconcileOutcome(true, false, null);
        }

        var labelSelector = string.Join(",", selector.Select(p => p.Key + "=" + p.Value));
        var listed = await GrainFactory.GetGrain<IResourceCollectionGrain>("pods").List(new ListRequest { Namespace = ns, LabelSelector = labelSelector });
        var publishNotReady = svc["spec"]?["publishNotReadyAddresses"] is JsonValue p && p.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var servicePorts = ServiceSpecs.Ports(svc).ToList();
        var members = new List<Member>();
        foreach (var pod in listed.Items.Select(Parse))
        {
            var ip = Str(pod["status"]?["podIP"]);
            if (string.IsNullOrEmpty(ip) || Str(pod["status"]?["phase"]) is "Succeeded" or "Failed"
                || !ServiceSpecs.Matches(selector, LabelSelector.LabelsOf(pod)))
            {
                continue;
            }

            var ports = servicePorts.Select(sp => ResolvePort(sp, pod)).Where(r => r is not null).Cast<JsonObject>().ToList();
            if (servicePorts.Count > 0 && ports.Count == 0)
            {
                // No port of the service resolves on this pod (a named targetPort it does not declare).
                continue;
            }

            members.Add(new Member(pod, ip, ports, IsPodReady(pod), IsDeleting(pod)));
        }

        members.Sort((a, b) => string.CompareOrdinal(a.Ip, b.Ip) is var c && c != 0 ? c : string.CompareOrdinal(Name(a.Pod), Name(b.Pod)));
        var owner = ServiceOwnerReference(svc);
        await WriteEndpointsAsync(ns, name, svc, owner, members, publishNotReady);
        await WriteSlicesAsync(ns, name, svc, owner, members, publishNotReady);
        return new ReconcileOutcome(true, false, null);
    }

    private async Task WriteEndpointsAsync(string ns, string name, JsonObject svc, JsonObject owner, List<Member> members, bool publishNotReady)
    {
        var subsets = new JsonArray();

        // Kubernetes leaves terminating pods out of Endpoints unless the service publishes not-ready addresses.
        foreach (var group in members.Where(m => !m.Terminating || publishNotReady).GroupBy(m => Canonical(PortsJson(m.Ports, endpoints: true))).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var subset = new JsonObject();
            var ready = new JsonArray(group.Where(m => publishNotReady || m.Ready).Select(m => (JsonNode)Address(m, ns)).ToArray());
            var notReady = new JsonArray(group.Where(m => !(publishNotReady || m.Ready)).Select(m => (JsonNode)Address(m, ns)).ToArray());
            if (ready.Count > 0)
            {
                subset["addresses"] = ready;
            }

            if (notReady.Count > 0)
            {
                subset["notReadyAddresses"] = notReady;
            }

            var ports = PortsJson(group.First().Ports, endpoints: true);
            if (ports.Count > 0)
            {
                subset["ports"] = ports;
            }

            subsets.Add(subset);
        }

        var grain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("endpoints", ns, name).GrainKey);
        var existingJson = await grain.Get();
        var labels = ServiceLabels(svc);
        if (existingJson is null)
        {
            var created = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Endpoints",
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels, ["ownerReferences"] = new JsonArray(owner) },
            };
            if (subsets.Count > 0)
            {
                created["subsets"] = subsets;
            }

            await grain.Create(created.ToJsonString(), WriteOptions.Default);
            return;
        }

        var existing = Parse(existingJson);
        var update = existing.DeepClone().AsObject();
        var meta = update["metadata"]!.AsObject();
        meta["labels"] = labels.Count > 0 ? labels : null;
        meta["ownerReferences"] = WithOwner(meta["ownerReferences"] as JsonArray, owner);
        if (subsets.Count > 0)
        {
            update["subsets"] = subsets;
        }
        else
        {
            update.Remove("subsets");
        }

        RemoveNullMembers(meta);
        if (Canonical(update) != Canonical(existing))
        {
            // The read version rides along: a concurrent writer makes this a conflict, retried with a fresh read.
            await grain.Update(update.ToJsonString(), WriteOptions.Default);
        }
    }

    private async Task WriteSlicesAsync(string ns, string name, JsonObject svc, JsonObject owner, List<Member> members, bool publishNotReady)
    {
        var groups = members.GroupBy(m => Canonical(PortsJson(m.Ports, endpoints: false))).ToList();
        var desired = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (groups.Count == 0)
        {
            // Kubernetes keeps a placeholder slice with no endpoints, so clients see the service has none.
            desired[SliceName(name, Uid(svc), "")] = Slice(ns, svc, owner, SliceName(name, Uid(svc), ""), new JsonArray(), null);
        }

        foreach (var group in groups)
        {
            var sliceName = SliceName(name, Uid(svc), group.Key);
            var endpoints = new JsonArray(group.Select(m => (JsonNode)SliceEndpoint(m, ns, publishNotReady)).ToArray());
            desired[sliceName] = Slice(ns, svc, owner, sliceName, endpoints, PortsJson(group.First().Ports, endpoints: false));
        }

        var existing = await GrainFactory.GetGrain<IResourceCollectionGrain>(Slices)
            .List(new ListRequest { Namespace = ns, LabelSelector = $"{ServiceNameLabel}={name},{ManagedByLabel}={ManagedBy}" });
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slice in existing.Items.Select(Parse))
        {
            var sliceName = Name(slice);
            var grain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(Slices, ns, sliceName).GrainKey);
            if (!desired.TryGetValue(sliceName, out var want))
            {
                try
                {
                    await grain.Delete(new DeleteOptions { PreconditionUid = Uid(slice) });
                }
                catch (ApiException ex) when (ex.Code is 404 or 409)
                {
                    // Gone already, or replaced by a newer one that the next pass judges.
                }

                continue;
            }

            seen.Add(sliceName);
            var update = slice.DeepClone().AsObject();
            foreach (var field in new[] { "addressType", "endpoints", "ports" })
            {
                update[field] = want[field]?.DeepClone();
            }

            update["metadata"]!["labels"] = want["metadata"]!["labels"]!.DeepClone();
            update["metadata"]!["ownerReferences"] = WithOwner(slice["metadata"]?["ownerReferences"] as JsonArray, owner);
            RemoveNullMembers(update);
            if (Canonical(update) != Canonical(slice))
            {
                await grain.Update(update.ToJsonString(), WriteOptions.Default);
            }
        }

        foreach (var (sliceName, slice) in desired.Where(d => !seen.Contains(d.Key)))
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(Slices, ns, sliceName).GrainKey).Create(slice.ToJsonString(), WriteOptions.Default);
            LogSliceCreated(ns, sliceName);
        }
    }

    /// <summary>
    /// The endpoint port a service port becomes on one pod: a numeric targetPort as is, a named one looked
    /// up among the pod's container ports of the same protocol; null when the name is not there.
    /// </summary>
    private static JsonObject? ResolvePort(JsonObject servicePort, JsonObject pod)
    {
        var protocol = Str(servicePort["protocol"]) ?? "TCP";
        int? number;
        var target = servicePort["targetPort"];
        if (Str(target) is { } portName)
        {
            number = (pod["spec"]?["containers"] as JsonArray)?.OfType<JsonObject>()
                .SelectMany(c => (c["ports"] as JsonArray)?.OfType<JsonObject>() ?? [])
                .Where(cp => Str(cp["name"]) == portName && (Str(cp["protocol"]) ?? "TCP") == protocol)
                .Select(cp => JsonNumbers.ToInt32(cp["containerPort"]))
                .FirstOrDefault();
        }
        else
        {
            number = JsonNumbers.ToInt32(target) ?? JsonNumbers.ToInt32(servicePort["port"]);
        }

        if (number is not > 0)
        {
            return null;
        }

        var port = new JsonObject { ["name"] = Str(servicePort["name"]) ?? "", ["port"] = number.Value, ["protocol"] = protocol };
        if (Str(servicePort["appProtocol"]) is { } appProtocol)
        {
            port["appProtocol"] = appProtocol;
        }

        return port;
    }

    /// <summary>Endpoints ports omit an empty name; slice ports carry it (Kubernetes writes "" there).</summary>
    private static JsonArray PortsJson(List<JsonObject> ports, bool endpoints)
    {
        var array = new JsonArray();
        foreach (var port in ports)
        {
            var copy = port.DeepClone().AsObject();
            if (endpoints && Str(copy["name"]) is "")
            {
                copy.Remove("name");
            }

            array.Add(copy);
        }

        return array;
    }

    private static JsonObject Address(Member m, string ns)
    {
        var address = new JsonObject { ["ip"] = m.Ip };
        if (Hostname(m.Pod) is { } hostname)
        {
            address["hostname"] = hostname;
        }

        if (Str(m.Pod["spec"]?["nodeName"]) is { Length: > 0 } node)
        {
            address["nodeName"] = node;
        }

        address["targetRef"] = TargetRef(m.Pod, ns);
        return address;
    }

    private static JsonObject SliceEndpoint(Member m, string ns, bool publishNotReady)
    {
        var endpoint = new JsonObject
        {
            ["addresses"] = new JsonArray(m.Ip),
            ["conditions"] = new JsonObject
            {
                ["ready"] = publishNotReady || (m.Ready && !m.Terminating),
                ["serving"] = publishNotReady || m.Ready,
                ["terminating"] = m.Terminating,
            },
        };
        if (Hostname(m.Pod) is { } hostname)
        {
            endpoint["hostname"] = hostname;
        }

        if (Str(m.Pod["spec"]?["nodeName"]) is { Length: > 0 } node)
        {
            endpoint["nodeName"] = node;
        }

        endpoint["targetRef"] = TargetRef(m.Pod, ns);
        return endpoint;
    }

    private static JsonObject Slice(string ns, JsonObject svc, JsonObject owner, string name, JsonArray endpoints, JsonArray? ports)
    {
        var labels = ServiceLabels(svc);
        labels[ServiceNameLabel] = Name(svc);
        labels[ManagedByLabel] = ManagedBy;
        var slice = new JsonObject
        {
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["kind"] = "EndpointSlice",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["generateName"] = name[..(name.LastIndexOf('-') + 1)],
                ["labels"] = labels,
                ["ownerReferences"] = new JsonArray(owner.DeepClone()),
            },
            ["addressType"] = "IPv4",
            ["endpoints"] = endpoints,
        };
        if (ports is { Count: > 0 })
        {
            slice["ports"] = ports;
        }

        return slice;
    }

    /// <summary>
    /// A stable name per service incarnation and port set, so every pass (on any silo) arrives at the same
    /// slice and never makes a duplicate; it looks like Kubernetes' generateName suffix.
    /// </summary>
    private static string SliceName(string service, string uid, string portSignature)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(uid + "|" + portSignature));
        var suffix = new StringBuilder(5);
        for (var i = 0; i < 5; i++)
        {
            suffix.Append(NameAlphabet[hash[i] % NameAlphabet.Length]);
        }

        var prefix = service.Length > 57 ? service[..57] : service;
        return prefix + "-" + suffix;
    }

    private static JsonObject TargetRef(JsonObject pod, string ns) => new()
    {
        ["kind"] = "Pod",
        ["namespace"] = ns,
        ["name"] = Name(pod),
        ["uid"] = Uid(pod),
    };

    /// <summary>A pod's DNS hostname under the service, when it names the service as its subdomain.</summary>
    private static string? Hostname(JsonObject pod) =>
        Str(pod["spec"]?["hostname"]) is { Length: > 0 } hostname && Str(pod["spec"]?["subdomain"]) is { Length: > 0 } ? hostname : null;

    private static JsonObject ServiceLabels(JsonObject svc)
    {
        var labels = (svc["metadata"]?["labels"] as JsonObject)?.DeepClone().AsObject() ?? new JsonObject();
        if (Str(svc["spec"]?["clusterIP"]) == "None")
        {
            labels["service.kubernetes.io/headless"] = "";
        }

        return labels;
    }

    private static JsonObject ServiceOwnerReference(JsonObject svc) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["name"] = Name(svc),
        ["uid"] = Uid(svc),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    /// <summary>The owner references with the service's in place of any earlier incarnation's.</summary>
    private static JsonArray WithOwner(JsonArray? existing, JsonObject owner)
    {
        var result = new JsonArray();
        foreach (var reference in existing?.OfType<JsonObject>() ?? [])
        {
            if (!(Str(reference["kind"]) == "Service" && Str(reference["name"]) == Str(owner["name"])))
            {
                result.Add(reference.DeepClone());
            }
        }

        result.Add(owner.DeepClone());
        return result;
    }

    private static void RemoveNullMembers(JsonObject obj)
    {
        foreach (var name in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            obj.Remove(name);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Created EndpointSlice {Namespace}/{Name}")]
    private partial void LogSliceCreated(string @namespace, string name);

    private sealed record Member(JsonObject Pod, string Ip, List<JsonObject> Ports, bool Ready, bool Terminating);
}
