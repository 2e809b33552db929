using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Resources;

namespace Grainetes.Tests.Infrastructure;

/// <summary>Objects written and read straight through their grains, without an API server: nodes, leases, pods in grain-level tests.</summary>
internal static class StoredObjects
{
    /// <summary>Creates <paramref name="body"/> (kind, apiVersion and name filled in) as a new object.</summary>
    public static async Task CreateAsync(IGrainFactory grains, string resource, string ns, string name, JsonObject body)
    {
        var type = ResourceRegistry.BuiltIn.Get(resource);
        body["apiVersion"] = type.ApiVersion;
        body["kind"] = type.Kind;
        body["metadata"] = ns.Length == 0 ? new JsonObject { ["name"] = name } : new JsonObject { ["name"] = name, ["namespace"] = ns };
        await grains.GetGrain<IObjectGrain>(new ObjectKey(resource, ns, name).GrainKey).Create(body.ToJsonString(), WriteOptions.Default);
    }

    /// <summary>The object, or null when there is none.</summary>
    public static async Task<JsonObject?> GetAsync(IGrainFactory grains, string resource, string ns, string name) =>
        await grains.GetGrain<IObjectGrain>(new ObjectKey(resource, ns, name).GrainKey).Get() is { } json ? JsonNode.Parse(json)!.AsObject() : null;

    /// <summary>A node's taints; none when the node is missing.</summary>
    public static List<JsonObject> Taints(JsonObject? node) => (node?["spec"]?["taints"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    /// <summary>A time as a lease's <c>renewTime</c> holds it (Kubernetes' MicroTime).</summary>
    public static string Micro(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A node's lease <c>renewTime</c>, or null when it has no lease yet.</summary>
    public static async Task<string?> LeaseRenewTimeAsync(IGrainFactory grains, string node) =>
        (string?)(await GetAsync(grains, "leases.coordination.k8s.io", "kube-node-lease", node))?["spec"]?["renewTime"];

    /// <summary>A TestingHost silo's name ("Primary", "Secondary_1") made a valid node name.</summary>
    public static string NodeName(string siloName) => siloName.ToLowerInvariant().Replace('_', '-');

    /// <summary>The node name of the silo a TestingHost configuration belongs to.</summary>
    public static string NodeNameOf(Microsoft.Extensions.Configuration.IConfiguration config) =>
        NodeName(config["Orleans:Name"] ?? config["Name"] ?? config["SiloName"] ?? config["Orleans:SiloName"]
            ?? throw new InvalidOperationException("the test cluster names no silo"));
}
