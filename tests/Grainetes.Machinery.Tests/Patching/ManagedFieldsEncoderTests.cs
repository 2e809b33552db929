using Grainetes.Machinery.Patching;
using k8s.Models;

namespace Grainetes.Machinery.Tests.Patching;

public sealed class ManagedFieldsEncoderTests
{
    [Fact]
    public void EncodesDeploymentLikeKubernetes()
    {
        var applied = Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nginx","namespace":"default","labels":{"app":"nginx"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"nginx"}},
               "template":{"metadata":{"labels":{"app":"nginx"}},
                 "spec":{"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80}],"args":["-g","daemon off;"]}]}}}}
            """);

        var fields = ManagedFieldsEncoder.Encode(applied, typeof(V1Deployment));

        Json.Equal("""
            {"f:metadata":{"f:labels":{"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:selector":{"f:matchLabels":{"f:app":{}}},
               "f:template":{"f:metadata":{"f:labels":{"f:app":{}}},
                 "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:args":{},"f:image":{},"f:name":{},
                   "f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}
            """, fields);
    }

    [Fact]
    public void ServerOwnedIdentityFieldsAreNotRecorded()
    {
        var fields = ManagedFieldsEncoder.Encode(
            Json.Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n","uid":"u","resourceVersion":"1"},"data":{"k":"v"}}"""),
            typeof(V1ConfigMap));

        Json.Equal("""{"f:data":{"f:k":{}}}""", fields);
    }

    [Fact]
    public void PrimitiveSetMembersAreEncodedAsValues()
    {
        var fields = ManagedFieldsEncoder.Encode(Json.Obj("""{"metadata":{"finalizers":["example.com/a","b"]}}"""), typeof(V1Pod));

        Json.Equal("""{"f:metadata":{"f:finalizers":{"v:\"example.com/a\"":{},"v:\"b\"":{}}}}""", fields);
    }

    [Fact]
    public void ServicePortsAreKeyedByPortAndProtocol()
    {
        var fields = ManagedFieldsEncoder.Encode(
            Json.Obj("""{"spec":{"ports":[{"port":53,"protocol":"UDP","name":"dns"}],"selector":{"app":"dns"}}}"""),
            typeof(V1Service));

        Json.Equal("""
            {"f:spec":{"f:ports":{"k:{\"port\":53,\"protocol\":\"UDP\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{}}},
                       "f:selector":{"f:app":{}}}}
            """, fields);
    }

    [Fact]
    public void AtomicListsAndEmptyMapsAreOwnedWhole()
    {
        var fields = ManagedFieldsEncoder.Encode(
            Json.Obj("""{"spec":{"tolerations":[{"key":"a","operator":"Exists"}],"nodeSelector":{},"containers":[]}}"""),
            typeof(V1Pod));

        Json.Equal("""{"f:spec":{"f:containers":{},"f:nodeSelector":{},"f:tolerations":{}}}""", fields);
    }

    [Fact]
    public void ElementKeyUsesSortedKeysAndDefaults()
    {
        var meta = PatchMetadata.ForList(typeof(V1Container), "ports")!;

        Assert.Equal("""k:{"containerPort":8080,"protocol":"TCP"}""", ManagedFieldsEncoder.ElementKey(Json.Obj("""{"containerPort":8080}"""), meta));
        Assert.Null(ManagedFieldsEncoder.ElementKey(Json.Obj("""{"name":"http"}"""), meta));
    }

    [Fact]
    public void InputIsNotMutated()
    {
        var applied = Json.Obj("""{"metadata":{"name":"p","labels":{"a":"b"}},"spec":{"containers":[{"name":"c"}]}}""");

        Json.Unchanged(() => ManagedFieldsEncoder.Encode(applied, typeof(V1Pod)), applied);
    }
}
