using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Services.ServiceObjects;

namespace Grainetes.Tests.Services;

/// <summary>The Endpoints and EndpointSlice controller against real store grains, woken by the controller manager.</summary>
[Collection(ServicesCollection.Name)]
public sealed class EndpointsControllerTests(ServicesClusterFixture fixture)
{
    private const string Slices = "endpointslices.discovery.k8s.io";

    private static JsonObject Selector(string app) => new() { ["app"] = app };

    private static IEnumerable<JsonObject> Addresses(JsonObject? endpoints, string list) =>
        (endpoints?["subsets"] as JsonArray)?.OfType<JsonObject>().SelectMany(s => (s[list] as JsonArray)?.OfType<JsonObject>() ?? []) ?? [];

    private static HashSet<string> Ips(JsonObject? endpoints, string list) =>
        Addresses(endpoints, list).Select(a => Str(a["ip"])!).ToHashSet();

    private async Task<List<JsonObject>> SlicesOf(ServiceObjects s, string service) =>
        (await s.ListAsync(Slices)).Where(e => Str(e["metadata"]!["labels"]?["kubernetes.io/service-name"]) == service).ToList();

    [Fact]
    public async Task EndpointsAndSliceFollowTheReadyPodsWithNamedTargetPortsResolved()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        var svc = await s.CreateAsync("services", Service("web", selector: Selector("web"), ports: new JsonObject { ["name"] = "http", ["port"] = 80, ["targetPort"] = "http" }));
        await s.CreateAsync("pods", Pod("a", "web", ("http", 8080)));
        await s.CreateAsync("pods", Pod("b", "web", ("http", 8080)));
        await s.CreateAsync("pods", Pod("no-port", "web", ("metrics", 9090)));
        await s.CreateAsync("pods", Pod("other", "db", ("http", 8080)));
        await s.SetPodStatusAsync("a", "10.244.0.11", ready: true);
        await s.SetPodStatusAsync("b", "10.244.0.12", ready: true);
        await s.SetPodStatusAsync("no-port", "10.244.0.13", ready: true);
        await s.SetPodStatusAsync("other", "10.244.0.14", ready: true);

        var ep = await Poll.UntilAsync(() => s.GetAsync("endpoints", "web"), e => Ips(e, "addresses").SetEquals(["10.244.0.11", "10.244.0.12"]), Deadline, "2 ready addresses");
        var subset = Assert.Single((JsonArray)ep!["subsets"]!)!;
        var port = Assert.Single((JsonArray)subset["ports"]!)!;
        Assert.Equal(8080, Int(port["port"]));
        Assert.Equal("http", Str(port["name"]));
        Assert.Equal("TCP", Str(port["protocol"]));
        var a = Addresses(ep, "addresses").Single(x => Str(x["ip"]) == "10.244.0.11");
        Assert.Equal("node-1", Str(a["nodeName"]));
        Assert.Equal("Pod", Str(a["targetRef"]!["kind"]));
        Assert.Equal("a", Str(a["targetRef"]!["name"]));
        var owner = Assert.Single((JsonArray)ep["metadata"]!["ownerReferences"]!)!;
        Assert.Equal("Service", Str(owner["kind"]));
        Assert.Equal(Str(svc["metadata"]!["uid"]), Str(owner["uid"]));

        var slice = Assert.Single(await Poll.UntilAsync(() => SlicesOf(s, "web"), l => l.Count == 1 && (l[0]["endpoints"] as JsonArray)?.Count == 2, Deadline, "a slice with 2 endpoints"));
        Assert.Equal("IPv4", Str(slice["addressType"]));
        Assert.Equal("endpointslice-controller.k8s.io", Str(slice["metadata"]!["labels"]!["endpointslice.kubernetes.io/managed-by"]));
        Assert.Equal(8080, Int(slice["ports"]![0]!["port"]));
        Assert.All((JsonArray)slice["endpoints"]!, e => Assert.True((bool)e!["conditions"]!["ready"]!));

        // A pod turning not ready moves to notReadyAddresses and its slice endpoint to ready=false.
        await s.SetPodStatusAsync("b", "10.244.0.12", ready: false);
        ep = await Poll.UntilAsync(() => s.GetAsync("endpoints", "web"), e => Ips(e, "notReadyAddresses").SetEquals(["10.244.0.12"]), Deadline, "b not ready");
        Assert.Equal(["10.244.0.11"], Ips(ep, "addresses"));
        await Poll.UntilAsync(
            () => SlicesOf(s, "web"),
            l => l.Count == 1 && ((JsonArray)l[0]["endpoints"]!).OfType<JsonObject>().Any(e => Str(e["addresses"]![0]) == "10.244.0.12" && !(bool)e["conditions"]!["ready"]! && !(bool)e["conditions"]!["serving"]!),
            Deadline,
            "slice endpoint b not ready");

        // Relabelled out of the selector: gone from both (the manager wakes the services a pod matched before).
        await s.MergePatchAsync("pods", "a", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "moved" } } });
        ep = await Poll.UntilAsync(() => s.GetAsync("endpoints", "web"), e => Ips(e, "addresses").Count == 0, Deadline, "a removed");
        Assert.Equal(["10.244.0.12"], Ips(ep, "notReadyAddresses"));

        // Deleting the service takes its endpoints and slices with it.
        await s.DeleteAsync("services", "web");
        await Poll.UntilAsync(async () => (await s.GetAsync("endpoints", "web")) is null && (await SlicesOf(s, "web")).Count == 0, gone => gone, Deadline, "endpoints collected");
    }

    [Fact]
    public async Task ATerminatingPodLeavesEndpointsAndIsMarkedTerminatingInItsSlice()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        await s.CreateAsync("services", Service("db", selector: Selector("db"), ports: new JsonObject { ["port"] = 5432 }));
        var pod = Pod("db-0", "db");
        pod["metadata"]!["finalizers"] = new JsonArray("test.grainetes.io/hold");
        await s.CreateAsync("pods", pod);
        await s.SetPodStatusAsync("db-0", "10.244.0.31", ready: true);
        await Poll.UntilAsync(() => s.GetAsync("endpoints", "db"), e => Ips(e, "addresses").Contains("10.244.0.31"), Deadline, "db-0 ready");

        // The finalizer holds the pod with a deletion timestamp: terminating, still serving.
        await s.DeleteAsync("pods", "db-0");
        var slice = await Poll.UntilAsync(
            () => SlicesOf(s, "db"),
            l => l.Count == 1 && ((JsonArray)l[0]["endpoints"]!).OfType<JsonObject>().Any(e => (bool)e["conditions"]!["terminating"]!),
            Deadline,
            "db-0 terminating in its slice");
        var conditions = ((JsonArray)slice[0]["endpoints"]!)[0]!["conditions"]!;
        Assert.False((bool)conditions["ready"]!);
        Assert.True((bool)conditions["serving"]!);
        var ep = await s.GetAsync("endpoints", "db");
        Assert.Empty(Ips(ep, "addresses"));
        Assert.Empty(Ips(ep, "notReadyAddresses"));

        await s.MergePatchAsync("pods", "db-0", new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } });
        await Poll.UntilAsync(() => SlicesOf(s, "db"), l => l.Count == 1 && ((JsonArray)l[0]["endpoints"]!).Count == 0, Deadline, "db-0 gone from the slice");
    }

    [Fact]
    public async Task APodCreatedAfterTheServiceIsAddedAndAServiceWithoutSelectorIsLeftAlone()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        await s.CreateAsync("services", Service("api", selector: Selector("api"), ports: new JsonObject { ["port"] = 80, ["targetPort"] = 9000 }));
        var empty = await Poll.UntilAsync(() => SlicesOf(s, "api"), l => l.Count == 1, Deadline, "placeholder slice");
        Assert.Empty((JsonArray)empty[0]["endpoints"]!);
        Assert.NotNull(await Poll.UntilAsync(() => s.GetAsync("endpoints", "api"), e => e is not null, Deadline, "empty endpoints"));

        await s.CreateAsync("pods", Pod("late", "api"));
        await s.SetPodStatusAsync("late", "10.244.0.21", ready: true);
        var ep = await Poll.UntilAsync(() => s.GetAsync("endpoints", "api"), e => Ips(e, "addresses").Contains("10.244.0.21"), Deadline, "late pod added");
        Assert.Equal(9000, Int(ep!["subsets"]![0]!["ports"]![0]!["port"]));

        // Selectorless: the user's Endpoints stay exactly as written.
        await s.CreateAsync("services", Service("external", ports: new JsonObject { ["port"] = 5432 }));
        var manual = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Endpoints",
            ["metadata"] = new JsonObject { ["name"] = "external" },
            ["subsets"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(new JsonObject { ["ip"] = "192.0.2.10" }),
                ["ports"] = new JsonArray(new JsonObject { ["port"] = 5432 }),
            }),
        };
        var written = await s.CreateAsync("endpoints", manual);
        await s.MergePatchAsync("services", "external", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["touched"] = "yes" } } });

        // The api service's endpoints are reconciled after this write: once they reflect a new pod, the manager has
        // routed every earlier change, so the external service's reconcile (if any) has run too.
        await s.CreateAsync("pods", Pod("later", "api"));
        await s.SetPodStatusAsync("later", "10.244.0.22", ready: true);
        await Poll.UntilAsync(() => s.GetAsync("endpoints", "api"), e => Ips(e, "addresses").Contains("10.244.0.22"), Deadline, "later pod added");
        var after = await s.GetAsync("endpoints", "external");
        Assert.Equal(Str(written["metadata"]!["resourceVersion"]), Str(after!["metadata"]!["resourceVersion"]));
        Assert.Empty(await SlicesOf(s, "external"));
    }
}
