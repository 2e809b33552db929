using System.Text.Json.Nodes;
using Grainetes.Machinery.OpenApi;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Tests.OpenApi;

public sealed class OpenApiDocumentsTests
{
    private static readonly OpenApiDocuments Documents = new(ResourceRegistry.BuiltIn);

    private static JsonObject V3(string path)
    {
        Assert.True(Documents.TryGetV3(path, out var doc));
        return doc.ToJsonObject();
    }

    private static JsonObject Unwrap(JsonNode schema) =>
        (schema["allOf"] is JsonArray all ? all[0]! : schema).AsObject();

    [Fact]
    public void V3_root_links_every_group_version_with_its_hash()
    {
        var paths = Documents.V3Root.ToJsonObject()["paths"]!.AsObject();
        Assert.True(Documents.TryGetV3("apis/apps/v1", out var apps));
        Assert.Equal($"/openapi/v3/apis/apps/v1?hash={apps.Hash}", paths["apis/apps/v1"]!["serverRelativeURL"]!.GetValue<string>());
        Assert.StartsWith("/openapi/v3/api/v1?hash=", paths["api/v1"]!["serverRelativeURL"]!.GetValue<string>());
        Assert.True(paths.ContainsKey("apis/coordination.k8s.io/v1"));
    }

    [Fact]
    public void Pod_patch_operation_has_fieldValidation_gvk_and_strategic_merge_body()
    {
        var patch = V3("api/v1")["paths"]!["/api/v1/namespaces/{namespace}/pods/{name}"]!["patch"]!;
        Assert.Equal("patch", patch["x-kubernetes-action"]!.GetValue<string>());
        Assert.Equal("", patch["x-kubernetes-group-version-kind"]!["group"]!.GetValue<string>());
        Assert.Equal("v1", patch["x-kubernetes-group-version-kind"]!["version"]!.GetValue<string>());
        Assert.Equal("Pod", patch["x-kubernetes-group-version-kind"]!["kind"]!.GetValue<string>());
        var parameters = patch["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("fieldValidation", parameters);
        Assert.Contains("dryRun", parameters);
        Assert.Contains("fieldManager", parameters);
        Assert.NotNull(patch["requestBody"]!["content"]!["application/strategic-merge-patch+json"]);
    }

    [Fact]
    public void Every_patch_operation_of_a_kind_carries_fieldValidation()
    {
        foreach (var path in Documents.V3Paths)
        {
            foreach (var (_, item) in V3(path)["paths"]!.AsObject())
            {
                if (item!["patch"] is not { } patch) continue;
                Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "fieldValidation");
            }
        }
    }

    [Fact]
    public void Collection_and_cluster_scoped_paths_exist_with_actions()
    {
        var paths = V3("api/v1")["paths"]!;
        Assert.Equal("list", paths["/api/v1/namespaces/{namespace}/pods"]!["get"]!["x-kubernetes-action"]!.GetValue<string>());
        Assert.Equal("post", paths["/api/v1/namespaces/{namespace}/pods"]!["post"]!["x-kubernetes-action"]!.GetValue<string>());
        Assert.Equal("deletecollection", paths["/api/v1/namespaces/{namespace}/pods"]!["delete"]!["x-kubernetes-action"]!.GetValue<string>());
        Assert.NotNull(paths["/api/v1/pods"]!["get"]);
        Assert.NotNull(paths["/api/v1/nodes/{name}"]!["put"]);
        Assert.NotNull(paths["/api/v1/namespaces/{namespace}/pods/{name}/status"]!["patch"]);
        var scale = V3("apis/apps/v1")["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]!["patch"]!;
        Assert.Equal("Scale", scale["x-kubernetes-group-version-kind"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public void Pod_schema_has_gvk_and_spec_references_PodSpec()
    {
        var schemas = V3("api/v1")["components"]!["schemas"]!;
        var pod = schemas["io.k8s.api.core.v1.Pod"]!;
        var gvk = pod["x-kubernetes-group-version-kind"]![0]!;
        Assert.Equal("Pod", gvk["kind"]!.GetValue<string>());
        Assert.Equal("v1", gvk["version"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.PodSpec", Unwrap(pod["properties"]!["spec"]!)["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", Unwrap(pod["properties"]!["metadata"]!)["$ref"]!.GetValue<string>());
        Assert.NotNull(schemas["io.k8s.api.core.v1.PodSpec"]);
    }

    [Fact]
    public void List_properties_carry_strategic_merge_keys()
    {
        var schemas = V3("api/v1")["components"]!["schemas"]!;
        var containers = schemas["io.k8s.api.core.v1.PodSpec"]!["properties"]!["containers"]!;
        Assert.Equal("array", containers["type"]!.GetValue<string>());
        Assert.Equal("name", containers["x-kubernetes-patch-merge-key"]!.GetValue<string>());
        Assert.Equal("merge", containers["x-kubernetes-patch-strategy"]!.GetValue<string>());
        Assert.Equal("merge,retainKeys", schemas["io.k8s.api.core.v1.PodSpec"]!["properties"]!["volumes"]!["x-kubernetes-patch-strategy"]!.GetValue<string>());
        Assert.Equal("containerPort", schemas["io.k8s.api.core.v1.Container"]!["properties"]!["ports"]!["x-kubernetes-patch-merge-key"]!.GetValue<string>());
        Assert.Equal("mountPath", schemas["io.k8s.api.core.v1.Container"]!["properties"]!["volumeMounts"]!["x-kubernetes-patch-merge-key"]!.GetValue<string>());
        Assert.Equal("port", schemas["io.k8s.api.core.v1.ServiceSpec"]!["properties"]!["ports"]!["x-kubernetes-patch-merge-key"]!.GetValue<string>());
    }

    [Fact]
    public void Primitive_maps_and_special_types_map_to_kubernetes_schema_shapes()
    {
        var schemas = V3("api/v1")["components"]!["schemas"]!;
        var meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]!["properties"]!;
        Assert.Equal("date-time", meta["creationTimestamp"]!["format"]!.GetValue<string>());
        Assert.Equal("object", meta["labels"]!["type"]!.GetValue<string>());
        Assert.Equal("string", meta["labels"]!["additionalProperties"]!["type"]!.GetValue<string>());
        Assert.Equal("int64", meta["generation"]!["format"]!.GetValue<string>());
        var targetPort = schemas["io.k8s.api.core.v1.ServicePort"]!["properties"]!["targetPort"]!;
        Assert.True(targetPort["x-kubernetes-int-or-string"]!.GetValue<bool>());
        var limits = schemas["io.k8s.api.core.v1.ResourceRequirements"]!["properties"]!["limits"]!["additionalProperties"]!;
        Assert.Equal("string", limits["type"]!.GetValue<string>());
    }

    [Fact]
    public void Apps_document_names_nested_types_by_their_group()
    {
        var schemas = V3("apis/apps/v1")["components"]!["schemas"]!.AsObject();
        Assert.True(schemas.ContainsKey("io.k8s.api.apps.v1.Deployment"));
        Assert.True(schemas.ContainsKey("io.k8s.api.apps.v1.DeploymentSpec"));
        Assert.True(schemas.ContainsKey("io.k8s.api.apps.v1.RollingUpdateDeployment"));
        Assert.True(schemas.ContainsKey("io.k8s.api.core.v1.PodTemplateSpec"));
        Assert.True(schemas.ContainsKey("io.k8s.api.autoscaling.v1.Scale"));
        Assert.True(schemas.ContainsKey("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"));
        Assert.False(schemas.ContainsKey("io.k8s.api.core.v1.Node"));
    }

    [Fact]
    public void V2_document_is_swagger_with_definitions_and_inline_query_parameters()
    {
        var v2 = Documents.V2.ToJsonObject();
        Assert.Equal("2.0", v2["swagger"]!.GetValue<string>());
        var definitions = v2["definitions"]!;
        Assert.Equal("#/definitions/io.k8s.api.core.v1.PodSpec", definitions["io.k8s.api.core.v1.Pod"]!["properties"]!["spec"]!["$ref"]!.GetValue<string>());
        Assert.NotNull(definitions["io.k8s.api.apps.v1.Deployment"]);
        var patch = v2["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]!;
        Assert.Equal("Deployment", patch["x-kubernetes-group-version-kind"]!["kind"]!.GetValue<string>());
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "fieldValidation" && p["in"]!.GetValue<string>() == "query");
        Assert.Contains("application/strategic-merge-patch+json", patch["consumes"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.DoesNotContain("anyOf", Documents.V2.ToJsonObject().ToJsonString());
    }

    [Fact]
    public void Documents_are_built_once_and_hashes_are_stable()
    {
        Assert.Same(Documents.V2, Documents.V2);
        Assert.True(Documents.TryGetV3("/api/v1", out var first));
        Assert.True(new OpenApiDocuments(ResourceRegistry.BuiltIn).TryGetV3("api/v1", out var again));
        Assert.Equal(first.Hash, again.Hash);
    }
}
