using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Services;
using static Grainetes.Tests.Services.ServiceObjects;

namespace Grainetes.Tests.Cloud;

/// <summary>What the load balancer tests wait for and look at: ingress, finalizers, events.</summary>
internal static class LoadBalancerProbes
{
    public const string CleanupFinalizer = "service.kubernetes.io/load-balancer-cleanup";

    public static JsonObject LoadBalancer(string name, params JsonObject[] ports) => Service(name, "LoadBalancer", null, ports);

    public static string? IngressIp(JsonObject? svc) => Str(svc?["status"]?["loadBalancer"]?["ingress"]?[0]?["ip"]);

    public static string? IngressHostname(JsonObject? svc) => Str(svc?["status"]?["loadBalancer"]?["ingress"]?[0]?["hostname"]);

    public static bool HasFinalizer(JsonObject? svc) =>
        (svc?["metadata"]?["finalizers"] as JsonArray)?.Any(f => Str(f) == CleanupFinalizer) == true;

    public static Task<JsonObject?> UntilAsync(ServiceObjects s, string name, Func<JsonObject?, bool> done, string what) =>
        Poll.UntilAsync(() => s.GetAsync("services", name), done, Deadline, what);

    /// <summary>The reasons of the events recorded about a service, oldest first, with their messages.</summary>
    public static async Task<List<(string Reason, string Message)>> EventsAsync(ServiceObjects s, string name) =>
        (await s.ListAsync("events"))
            .Where(e => Str(e["involvedObject"]?["name"]) == name && Str(e["involvedObject"]?["kind"]) == "Service")
            .OrderBy(e => Str(e["metadata"]?["creationTimestamp"]), StringComparer.Ordinal)
            .Select(e => (Str(e["reason"]) ?? "", Str(e["message"]) ?? ""))
            .ToList();

    public static Task<List<(string Reason, string Message)>> UntilEventAsync(ServiceObjects s, string name, string reason) =>
        Poll.UntilAsync(() => EventsAsync(s, name), events => events.Any(e => e.Reason == reason), Deadline, $"a {reason} event for {name}");
}
