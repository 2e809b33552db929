using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Patching;
using k8s.Models;

namespace Grainetes.Machinery.Tests.Patching;

public sealed class ServerSideApplyTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static JsonObject Applied(string image) => Json.Obj("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
         "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"IMAGE"}]}}}}
        """.Replace("IMAGE", image));

    [Fact]
    public void CreateReturnsAppliedConfigWithManagedFieldsEntry()
    {
        var result = ServerSideApply.Apply(null, Applied("web:1"), typeof(V1Deployment), "kubectl", Now);

        var entries = result["metadata"]!["managedFields"]!.AsArray();
        result["metadata"]!.AsObject().Remove("managedFields");
        Json.Equal(Applied("web:1").ToJsonString(), result);
        Json.Equal("""
            [{"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1","time":"2025-01-02T03:04:05Z","fieldsType":"FieldsV1",
              "fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":
                {"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}}]
            """, entries);
    }

    [Fact]
    public void UpdateMergesAppliedFieldsOntoLiveObject()
    {
        var live = Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","uid":"u1","resourceVersion":"7","labels":{"app":"web","team":"x"}},
             "spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"web","image":"web:1","imagePullPolicy":"IfNotPresent"},{"name":"sidecar","image":"s:1"}]}}},
             "status":{"replicas":5}}
            """);

        var result = ServerSideApply.Apply(live, Applied("web:2"), typeof(V1Deployment), "kubectl", Now);

        result["metadata"]!.AsObject().Remove("managedFields");
        Json.Equal("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","uid":"u1","resourceVersion":"7","labels":{"app":"web","team":"x"}},
             "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"web:2","imagePullPolicy":"IfNotPresent"},{"name":"sidecar","image":"s:1"}]}}},
             "status":{"replicas":5}}
            """, result);
    }

    [Fact]
    public void RefreshesOwnEntryAndKeepsOtherManagers()
    {
        var first = ServerSideApply.Apply(null, Applied("web:1"), typeof(V1Deployment), "kubectl", Now);
        first["metadata"]!["managedFields"]!.AsArray().Add(Json.Obj("""
            {"manager":"kube-controller-manager","operation":"Update","apiVersion":"apps/v1","time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{}}}
            """));
        var later = Now.AddMinutes(1);

        var second = ServerSideApply.Apply(first, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":3}}"""),
            typeof(V1Deployment), "kubectl", later);

        var entries = second["metadata"]!["managedFields"]!.AsArray();
        Assert.Equal(2, entries.Count);
        Assert.Equal("kubectl", entries[0]!["manager"]!.GetValue<string>());
        Assert.Equal("2025-01-02T03:05:05Z", entries[0]!["time"]!.GetValue<string>());
        Json.Equal("""{"f:spec":{"f:replicas":{}}}""", entries[0]!["fieldsV1"]);
        Assert.Equal("kube-controller-manager", entries[1]!["manager"]!.GetValue<string>());
        Assert.Equal(3, second["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public void SecondManagerGetsItsOwnEntry()
    {
        var first = ServerSideApply.Apply(null, Applied("web:1"), typeof(V1Deployment), "kubectl", Now);

        var second = ServerSideApply.Apply(first, Json.Obj("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","annotations":{"a":"b"}}}"""),
            typeof(V1Deployment), "other", Now);

        var managers = second["metadata"]!["managedFields"]!.AsArray().Select(e => e!["manager"]!.GetValue<string>()).ToArray();
        Assert.Equal(["kubectl", "other"], managers);
        Assert.Equal("b", second["metadata"]!["annotations"]!["a"]!.GetValue<string>());
    }

    [Fact]
    public void MissingFieldManagerIsBadRequest()
    {
        var error = Assert.Throws<ApiException>(() => ServerSideApply.Apply(null, Applied("web:1"), typeof(V1Deployment), ""));

        Assert.Equal(400, error.Code);
    }

    [Fact]
    public void AppliedManagedFieldsAreBadRequest()
    {
        var applied = Applied("web:1");
        applied["metadata"]!["managedFields"] = Json.Arr("""[{"manager":"x"}]""");

        var error = Assert.Throws<ApiException>(() => ServerSideApply.Apply(null, applied, typeof(V1Deployment), "kubectl"));

        Assert.Equal(400, error.Code);
        Assert.Equal("metadata.managedFields must be nil", error.Message);
    }

    [Fact]
    public void InputsAreNotMutated()
    {
        var live = ServerSideApply.Apply(null, Applied("web:1"), typeof(V1Deployment), "kubectl", Now);
        var applied = Applied("web:2");

        Json.Unchanged(() => ServerSideApply.Apply(live, applied, typeof(V1Deployment), "kubectl", Now), live, applied);
        Json.Unchanged(() => ServerSideApply.Apply(null, applied, typeof(V1Deployment), "kubectl", Now), applied);
    }
}
