using System.Text.Json.Nodes;
using Grainetes.Machinery.Discovery;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Tests.Discovery;

public sealed class DiscoveryDocumentsTests
{
    private readonly DiscoveryDocuments discovery = new(ResourceRegistry.BuiltIn, "10.0.0.1:6443");

    private static JsonObject Find(JsonNode list, string field, string value) =>
        list.AsArray().Single(r => r![field]!.GetValue<string>() == value)!.AsObject();

    [Fact]
    public void Api_lists_v1_and_the_server_address()
    {
        var api = discovery.BuildApiVersions();
        Assert.Equal("APIVersions", api["kind"]!.GetValue<string>());
        Assert.Equal("v1", api["versions"]![0]!.GetValue<string>());
        Assert.Equal("10.0.0.1:6443", api["serverAddressByClientCIDRs"]![0]!["serverAddress"]!.GetValue<string>());
        Assert.Equal("0.0.0.0/0", api["serverAddressByClientCIDRs"]![0]!["clientCIDR"]!.GetValue<string>());
    }

    [Fact]
    public void Apis_lists_named_groups_with_preferred_version_and_not_core()
    {
        var groups = discovery.BuildApiGroupList()["groups"]!;
        var apps = Find(groups, "name", "apps");
        Assert.Equal("apps/v1", apps["preferredVersion"]!["groupVersion"]!.GetValue<string>());
        Assert.Equal("v1", apps["versions"]![0]!["version"]!.GetValue<string>());
        Assert.Contains(groups.AsArray(), g => g!["name"]!.GetValue<string>() == "coordination.k8s.io");
        Assert.DoesNotContain(groups.AsArray(), g => g!["name"]!.GetValue<string>() == "");
    }

    [Fact]
    public void Core_resource_list_has_namespaced_flags_verbs_short_names_and_subresources()
    {
        var list = discovery.BuildApiResourceList("", "v1")!;
        Assert.Equal("APIResourceList", list["kind"]!.GetValue<string>());
        Assert.Equal("v1", list["groupVersion"]!.GetValue<string>());
        var resources = list["resources"]!;
        var pods = Find(resources, "name", "pods");
        Assert.True(pods["namespaced"]!.GetValue<bool>());
        Assert.Equal("pod", pods["singularName"]!.GetValue<string>());
        Assert.Equal(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], pods["verbs"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("po", pods["shortNames"]![0]!.GetValue<string>());
        Assert.Equal("all", pods["categories"]![0]!.GetValue<string>());
        Assert.False(Find(resources, "name", "nodes")["namespaced"]!.GetValue<bool>());
        Assert.False(Find(resources, "name", "namespaces")["namespaced"]!.GetValue<bool>());
        Assert.Equal("Pod", Find(resources, "name", "pods/status")["kind"]!.GetValue<string>());
        Assert.Equal(["get"], Find(resources, "name", "pods/log")["verbs"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.DoesNotContain(resources.AsArray(), r => r!["name"]!.GetValue<string>() == "configmaps/status");
    }

    [Fact]
    public void Deployment_scale_subresource_answers_with_autoscaling_Scale()
    {
        var scale = Find(discovery.BuildApiResourceList("apps", "v1")!["resources"]!, "name", "deployments/scale");
        Assert.Equal("Scale", scale["kind"]!.GetValue<string>());
        Assert.Equal("autoscaling", scale["group"]!.GetValue<string>());
        Assert.Equal("v1", scale["version"]!.GetValue<string>());
    }

    [Fact]
    public void Unknown_group_version_has_no_resource_list() =>
        Assert.Null(discovery.BuildApiResourceList("example.com", "v1"));

    [Fact]
    public void Aggregated_apis_lists_groups_with_resources_scope_and_subresources()
    {
        var doc = discovery.BuildAggregated(core: false);
        Assert.Equal("APIGroupDiscoveryList", doc["kind"]!.GetValue<string>());
        Assert.Equal("apidiscovery.k8s.io/v2", doc["apiVersion"]!.GetValue<string>());
        var apps = doc["items"]!.AsArray().Single(i => i!["metadata"]!["name"]?.GetValue<string>() == "apps")!;
        var v1 = apps["versions"]![0]!;
        Assert.Equal("v1", v1["version"]!.GetValue<string>());
        var deployments = Find(v1["resources"]!, "resource", "deployments");
        Assert.Equal("Namespaced", deployments["scope"]!.GetValue<string>());
        Assert.Equal("deployment", deployments["singularResource"]!.GetValue<string>());
        Assert.Equal("Deployment", deployments["responseKind"]!["kind"]!.GetValue<string>());
        Assert.Equal("apps", deployments["responseKind"]!["group"]!.GetValue<string>());
        var scale = Find(deployments["subresources"]!, "subresource", "scale");
        Assert.Equal("autoscaling", scale["responseKind"]!["group"]!.GetValue<string>());
        Assert.DoesNotContain(doc["items"]!.AsArray(), i => i!["metadata"]!["name"] is null);
    }

    [Fact]
    public void Aggregated_api_has_only_the_core_group_with_cluster_scoped_nodes()
    {
        var items = discovery.BuildAggregated(core: true)["items"]!.AsArray();
        var core = Assert.Single(items)!;
        Assert.Null(core["metadata"]!["name"]);
        var resources = core["versions"]![0]!["resources"]!;
        Assert.Equal("Cluster", Find(resources, "resource", "nodes")["scope"]!.GetValue<string>());
        Assert.Contains(Find(resources, "resource", "pods")["subresources"]!.AsArray(), s => s!["subresource"]!.GetValue<string>() == "status");
    }

    [Fact]
    public void Version_claims_kubernetes_1_32()
    {
        var version = discovery.BuildVersion();
        Assert.Equal("1", version["major"]!.GetValue<string>());
        Assert.Equal("32", version["minor"]!.GetValue<string>());
        Assert.StartsWith("v1.32.", version["gitVersion"]!.GetValue<string>());
        Assert.Contains("/", version["platform"]!.GetValue<string>());
    }

    [Fact]
    public void Cached_documents_are_served_by_path_and_carry_a_sha256_hash()
    {
        Assert.True(discovery.TryGet("/api/v1", aggregatedDiscovery: false, out var v1));
        Assert.Equal(64, v1.Hash.Length);
        Assert.Equal("APIResourceList", v1.ToJsonObject()["kind"]!.GetValue<string>());
        Assert.True(discovery.TryGet("/apis/apps", aggregatedDiscovery: false, out var apps));
        Assert.Equal("APIGroup", apps.ToJsonObject()["kind"]!.GetValue<string>());
        Assert.True(discovery.TryGet("/apis", aggregatedDiscovery: true, out var aggregated));
        Assert.Equal("APIGroupDiscoveryList", aggregated.ToJsonObject()["kind"]!.GetValue<string>());
        Assert.False(discovery.TryGet("/api/v1", aggregatedDiscovery: true, out _));
        Assert.False(discovery.TryGet("/apis/example.com/v1", aggregatedDiscovery: false, out _));
    }
}
