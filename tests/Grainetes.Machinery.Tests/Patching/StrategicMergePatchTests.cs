using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Patching;
using k8s.Models;

namespace Grainetes.Machinery.Tests.Patching;

public sealed class StrategicMergePatchTests
{
    private static JsonObject Pod(string containers) => Json.Obj($$$"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"web","tier":"front"}},
         "spec":{"containers":{{{containers}}}}}
        """);

    private static JsonArray Containers(JsonObject pod) => pod["spec"]!["containers"]!.AsArray();

    private static string[] Names(JsonArray list, string key = "name") =>
        list.Select(e => e![key]!.ToJsonString().Trim('"')).ToArray();

    [Fact]
    public void ContainerListMergesByNamePreservingOtherContainers()
    {
        var live = Pod("""
            [{"name":"app","image":"app:1","ports":[{"containerPort":8080}]},{"name":"sidecar","image":"envoy:1"}]
            """);

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"containers":[{"name":"app","image":"app:2"}]}}"""), typeof(V1Pod));

        Json.Equal("""
            [{"name":"app","image":"app:2","ports":[{"containerPort":8080}]},{"name":"sidecar","image":"envoy:1"}]
            """, Containers(result));
    }

    [Fact]
    public void EnvMergesByName()
    {
        var live = Pod("""[{"name":"app","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}}
            """), typeof(V1Pod));

        Json.Equal("""[{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}]""", Containers(result)[0]!["env"]);
    }

    [Fact]
    public void EnvValueFromReplacesValueWhenValueIsNulled()
    {
        var live = Pod("""[{"name":"app","env":[{"name":"A","value":"1"}]}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"containers":[{"name":"app","env":[{"name":"A","value":null,"valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}}
            """), typeof(V1Pod));

        Json.Equal("""[{"name":"A","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]""", Containers(result)[0]!["env"]);
    }

    [Fact]
    public void NewElementWithoutSetElementOrderGoesBeforeServerOnlyElementsAsInKubernetes()
    {
        // apimachinery's mergeSortedSlice puts patch elements unknown to the live list ahead of server-only ones.
        var live = Pod("""[{"name":"a"},{"name":"b"}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"containers":[{"name":"c","image":"c:1"}]}}"""), typeof(V1Pod));

        Assert.Equal(["c", "a", "b"], Names(Containers(result)));
        Json.Equal("""{"name":"c","image":"c:1"}""", Containers(result)[0]);
    }

    [Fact]
    public void PatchDeleteDirectiveRemovesContainerByName()
    {
        var live = Pod("""[{"name":"app"},{"name":"sidecar"},{"name":"debug"}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}"""), typeof(V1Pod));

        Assert.Equal(["app", "debug"], Names(Containers(result)));
    }

    [Fact]
    public void PatchReplaceDirectiveInListReplacesTheWholeList()
    {
        var live = Pod("""[{"name":"app","image":"app:1"},{"name":"sidecar"}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"containers":[{"name":"only","image":"only:1"},{"$patch":"replace"}]}}
            """), typeof(V1Pod));

        Json.Equal("""[{"name":"only","image":"only:1"}]""", Containers(result));
    }

    [Fact]
    public void PatchReplaceDirectiveInMapReplacesTheWholeMap()
    {
        var live = Pod("""[{"name":"app"}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"metadata":{"labels":{"$patch":"replace","only":"this"}}}"""), typeof(V1Pod));

        Json.Equal("""{"only":"this"}""", result["metadata"]!["labels"]);
        Assert.Equal("p", result["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void PatchDeleteDirectiveInMapDeletesTheMap()
    {
        var live = Json.Obj("""{"spec":{"securityContext":{"runAsUser":1000},"containers":[{"name":"app"}]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"securityContext":{"$patch":"delete"}}}"""), typeof(V1Pod));

        Json.Equal("""{"spec":{"containers":[{"name":"app"}]}}""", result);
    }

    [Fact]
    public void PatchMergeDirectiveMergesAsUsual()
    {
        var live = Json.Obj("""{"metadata":{"labels":{"a":"1"}}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"metadata":{"labels":{"$patch":"merge","b":"2"}}}"""), typeof(V1Pod));

        Json.Equal("""{"metadata":{"labels":{"a":"1","b":"2"}}}""", result);
    }

    [Fact]
    public void SetElementOrderReordersTheMergedList()
    {
        var live = Pod("""[{"name":"a"},{"name":"b"},{"name":"c"}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"a"},{"name":"b"}]}}
            """), typeof(V1Pod));

        Assert.Equal(["c", "a", "b"], Names(Containers(result)));
        Assert.False(result["spec"]!.AsObject().ContainsKey("$setElementOrder/containers"));
    }

    [Fact]
    public void SetElementOrderPlacesNewElementAndKeepsServerOnlyElementsInLiveOrder()
    {
        // kubectl apply sends the new config's order; "c" is only on the server, so it keeps its live position
        // relative to the others it can be compared with.
        var live = Pod("""[{"name":"a","image":"a:1"},{"name":"b"},{"name":"c"}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"new"},{"name":"a"}],
                     "containers":[{"name":"new","image":"new:1"},{"name":"a","image":"a:2"}]}}
            """), typeof(V1Pod));

        Assert.Equal(["b", "new", "a", "c"], Names(Containers(result)));
        Assert.Equal("a:2", Containers(result)[2]!["image"]!.GetValue<string>());
    }

    [Fact]
    public void SetElementOrderForPrimitiveList()
    {
        var live = Json.Obj("""{"metadata":{"finalizers":["x","y"]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"metadata":{"$setElementOrder/finalizers":["z","y","x"],"finalizers":["z"]}}
            """), typeof(V1Pod));

        Json.Equal("""{"metadata":{"finalizers":["z","y","x"]}}""", result);
    }

    [Fact]
    public void SetElementOrderInconsistentWithPatchListIsBadRequest()
    {
        var live = Pod("""[{"name":"a"},{"name":"b"}]""");

        var error = Assert.Throws<ApiException>(() => StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"name":"b","image":"x"}]}}
            """), typeof(V1Pod)));

        Assert.Equal(400, error.Code);
    }

    [Fact]
    public void DeleteFromPrimitiveListRemovesFinalizers()
    {
        var live = Json.Obj("""{"metadata":{"finalizers":["a","b","c"]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"metadata":{"$deleteFromPrimitiveList/finalizers":["b","absent"]}}"""), typeof(V1Pod));

        Json.Equal("""{"metadata":{"finalizers":["a","c"]}}""", result);
    }

    [Fact]
    public void DeleteFromPrimitiveListOfMissingFieldChangesNothing()
    {
        var live = Json.Obj("""{"metadata":{"name":"p"}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}}"""), typeof(V1Pod));

        Json.Equal("""{"metadata":{"name":"p"}}""", result);
    }

    [Fact]
    public void FinalizersMergeAsUnionWithoutDuplicates()
    {
        var live = Json.Obj("""{"metadata":{"finalizers":["a","b"]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"metadata":{"finalizers":["b","c"]}}"""), typeof(V1Pod));

        Json.Equal("""{"metadata":{"finalizers":["a","b","c"]}}""", result);
    }

    [Fact]
    public void LabelsAreAddedAndRemovedWithNull()
    {
        var live = Pod("""[{"name":"app"}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"metadata":{"labels":{"app":null,"env":"prod","never-there":null}}}
            """), typeof(V1Pod));

        Json.Equal("""{"tier":"front","env":"prod"}""", result["metadata"]!["labels"]);
    }

    [Fact]
    public void AnnotateAddsToMissingAnnotationsMap()
    {
        var live = Pod("""[{"name":"app"}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"metadata":{"annotations":{"note":"hi","gone":null}}}"""), typeof(V1Pod));

        Json.Equal("""{"note":"hi"}""", result["metadata"]!["annotations"]);
    }

    [Fact]
    public void PodSpecMergeWorksInsideDeploymentTemplate()
    {
        var live = Json.Obj("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
             "spec":{"replicas":1,"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[
               {"name":"app","image":"app:1","env":[{"name":"A","value":"1"}]},{"name":"sidecar","image":"s:1"}]}}}}
            """);

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"app","image":"app:2","env":[{"name":"B","value":"2"}]}]}}}}
            """), typeof(V1Deployment));

        Json.Equal("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
             "spec":{"replicas":3,"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[
               {"name":"app","image":"app:2","env":[{"name":"B","value":"2"},{"name":"A","value":"1"}]},{"name":"sidecar","image":"s:1"}]}}}}
            """, result);
    }

    [Fact]
    public void PodSpecMergeWorksInsideReplicaSetTemplate()
    {
        var live = Json.Obj("""{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b"}]}}}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:1"}]}}}}
            """), typeof(V1ReplicaSet));

        Json.Equal("""{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}}}""", result);
    }

    [Fact]
    public void ServicePortsMergeByPort()
    {
        var live = Json.Obj("""
            {"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443,"targetPort":8443}]}}
            """);

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"ports":[{"port":443,"targetPort":9443}]}}"""), typeof(V1Service));

        Json.Equal("""
            {"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443,"targetPort":9443}]}}
            """, result);
    }

    [Fact]
    public void MergeKeyNumbersMatchByValue()
    {
        var live = Json.Obj("""{"spec":{"ports":[{"port":80,"name":"a"}]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"ports":[{"port":80.0,"name":"b"}]}}"""), typeof(V1Service));

        Assert.Single(result["spec"]!["ports"]!.AsArray());
        Assert.Equal("b", result["spec"]!["ports"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void ContainerPortsVolumeMountsMergeByTheirKeys()
    {
        var live = Pod("""
            [{"name":"app","ports":[{"containerPort":80,"name":"http"}],"volumeMounts":[{"mountPath":"/data","name":"data"}]}]
            """);

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"containers":[{"name":"app","ports":[{"containerPort":80,"protocol":"TCP"}],
              "volumeMounts":[{"mountPath":"/data","readOnly":true},{"mountPath":"/cache","name":"cache"}]}]}}
            """), typeof(V1Pod));

        Json.Equal("""[{"containerPort":80,"name":"http","protocol":"TCP"}]""", Containers(result)[0]!["ports"]);
        Assert.Equal(["/data", "/cache"], Names(Containers(result)[0]!["volumeMounts"]!.AsArray(), "mountPath"));
        Assert.True(Containers(result)[0]!["volumeMounts"]![0]!["readOnly"]!.GetValue<bool>());
    }

    [Fact]
    public void VolumesMergeByName()
    {
        var live = Json.Obj("""{"spec":{"volumes":[{"name":"a","emptyDir":{}},{"name":"b","emptyDir":{}}]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"volumes":[{"name":"b","emptyDir":null,"configMap":{"name":"cm"}}]}}"""), typeof(V1Pod));

        Json.Equal("""{"spec":{"volumes":[{"name":"a","emptyDir":{}},{"name":"b","configMap":{"name":"cm"}}]}}""", result);
    }

    [Theory]
    [InlineData("args")]
    [InlineData("command")]
    public void ListsWithoutMetadataAreReplaced(string field)
    {
        var live = Pod($$$"""[{"name":"app","{{{field}}}":["a","b","c"]}]""");

        var result = StrategicMergePatch.Apply(live, Json.Obj($$$"""{"spec":{"containers":[{"name":"app","{{{field}}}":["z"]}]}}"""), typeof(V1Pod));

        Json.Equal("""["z"]""", Containers(result)[0]![field]);
    }

    [Fact]
    public void TolerationsHaveNoMergeKeyAndAreReplaced()
    {
        var live = Json.Obj("""{"spec":{"tolerations":[{"key":"a","operator":"Exists"},{"key":"b","operator":"Exists"}]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"tolerations":[{"key":"c","operator":"Exists"}]}}"""), typeof(V1Pod));

        Json.Equal("""{"spec":{"tolerations":[{"key":"c","operator":"Exists"}]}}""", result);
    }

    [Fact]
    public void NodeTaintsAreReplacedAndStatusAddressesMergeByType()
    {
        var live = Json.Obj("""
            {"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]},
             "status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"},{"type":"Hostname","address":"n1"}],
                       "conditions":[{"type":"Ready","status":"False"},{"type":"MemoryPressure","status":"False"}]}}
            """);

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"taints":[{"key":"b","effect":"NoExecute"}]},
             "status":{"addresses":[{"type":"InternalIP","address":"10.0.0.2"}],"conditions":[{"type":"Ready","status":"True"}]}}
            """), typeof(V1Node));

        Json.Equal("""
            {"spec":{"taints":[{"key":"b","effect":"NoExecute"}]},
             "status":{"addresses":[{"type":"InternalIP","address":"10.0.0.2"},{"type":"Hostname","address":"n1"}],
                       "conditions":[{"type":"Ready","status":"True"},{"type":"MemoryPressure","status":"False"}]}}
            """, result);
    }

    [Fact]
    public void PodStatusConditionsMergeByType()
    {
        var live = Json.Obj("""{"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"status":{"phase":"Running","conditions":[{"type":"PodScheduled","status":"True"},{"type":"Ready","status":"True"}]}}
            """), typeof(V1Pod));

        Json.Equal("""
            {"status":{"phase":"Running","conditions":[{"type":"PodScheduled","status":"True"},{"type":"Ready","status":"True"}]}}
            """, result);
    }

    [Fact]
    public void DeploymentStatusConditionsMergeByType()
    {
        var live = Json.Obj("""{"status":{"conditions":[{"type":"Available","status":"False"},{"type":"Progressing","status":"True"}]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"status":{"conditions":[{"type":"Available","status":"True"}]}}"""), typeof(V1Deployment));

        Json.Equal("""{"status":{"conditions":[{"type":"Available","status":"True"},{"type":"Progressing","status":"True"}]}}""", result);
    }

    [Fact]
    public void OwnerReferencesMergeByUid()
    {
        var live = Json.Obj("""{"metadata":{"ownerReferences":[{"uid":"1","name":"a","kind":"ReplicaSet"}]}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"metadata":{"ownerReferences":[{"uid":"1","controller":true},{"uid":"2","name":"b","kind":"ReplicaSet"}]}}
            """), typeof(V1Pod));

        Json.Equal("""
            {"metadata":{"ownerReferences":[{"uid":"1","name":"a","kind":"ReplicaSet","controller":true},{"uid":"2","name":"b","kind":"ReplicaSet"}]}}
            """, result);
    }

    [Fact]
    public void RetainKeysClearsFieldsNotListed()
    {
        var live = Json.Obj("""
            {"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}
            """);

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}
            """), typeof(V1Deployment));

        Json.Equal("""{"spec":{"strategy":{"type":"Recreate"}}}""", result);
    }

    [Fact]
    public void RetainKeysThatOmitsAPatchedFieldIsBadRequest()
    {
        var live = Json.Obj("""{"spec":{"strategy":{"type":"RollingUpdate"}}}""");

        var error = Assert.Throws<ApiException>(() => StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"strategy":{"$retainKeys":["type"],"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}
            """), typeof(V1Deployment)));

        Assert.Equal(400, error.Code);
    }

    [Fact]
    public void ElementWithoutMergeKeyIsInvalid()
    {
        var live = Pod("""[{"name":"app"}]""");

        var error = Assert.Throws<ApiException>(() => StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"containers":[{"image":"x"}]}}"""), typeof(V1Pod)));

        Assert.Equal(422, error.Code);
    }

    [Theory]
    [InlineData("""{"metadata":{"labels":{"$patch":"explode"}}}""")]
    [InlineData("""{"spec":{"containers":[{"name":"app","$patch":"explode"}]}}""")]
    [InlineData("""{"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}}""")]
    [InlineData("""{"spec":{"$setElementOrder/containers":{"name":"app"}}}""")]
    public void MalformedDirectivesAreBadRequest(string patch)
    {
        var error = Assert.Throws<ApiException>(() => StrategicMergePatch.Apply(Pod("""[{"name":"app"}]"""), Json.Obj(patch), typeof(V1Pod)));

        Assert.Equal(400, error.Code);
    }

    [Fact]
    public void DirectivesAndNullsInsideNewValuesAreResolvedNotStored()
    {
        var live = Json.Obj("""{"spec":{}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""
            {"spec":{"initContainers":[{"name":"init","image":"i:1","securityContext":null},{"name":"gone","$patch":"delete"}],
                     "nodeSelector":{"disk":"ssd","zone":null}}}
            """), typeof(V1Pod));

        Json.Equal("""{"spec":{"initContainers":[{"name":"init","image":"i:1"}],"nodeSelector":{"disk":"ssd"}}}""", result);
    }

    [Fact]
    public void ScalarsAndMismatchedTypesAreReplaced()
    {
        var live = Json.Obj("""{"spec":{"replicas":1,"selector":"weird"}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"spec":{"replicas":2,"selector":{"matchLabels":{"a":"b"}}}}"""), typeof(V1Deployment));

        Json.Equal("""{"spec":{"replicas":2,"selector":{"matchLabels":{"a":"b"}}}}""", result);
    }

    [Fact]
    public void TopLevelReplaceDirectiveReplacesTheObject()
    {
        var result = StrategicMergePatch.Apply(Json.Obj("""{"a":1,"b":2}"""), Json.Obj("""{"$patch":"replace","c":3}"""), typeof(V1ConfigMap));

        Json.Equal("""{"c":3}""", result);
    }

    [Fact]
    public void ConfigMapDataMergesAsAMap()
    {
        var live = Json.Obj("""{"data":{"a":"1","b":"2"}}""");

        var result = StrategicMergePatch.Apply(live, Json.Obj("""{"data":{"b":null,"c":"3"}}"""), typeof(V1ConfigMap));

        Json.Equal("""{"data":{"a":"1","c":"3"}}""", result);
    }

    [Fact]
    public void InputsAreNotMutated()
    {
        var live = Pod("""
            [{"name":"app","image":"a:1","env":[{"name":"A","value":"1"}]},{"name":"sidecar"},{"name":"old"}]
            """);
        live["metadata"]!["finalizers"] = new JsonArray("x", "y");
        var patch = Json.Obj("""
            {"metadata":{"labels":{"app":null,"new":"1"},"$deleteFromPrimitiveList/finalizers":["x"]},
             "spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"app"},{"name":"new"}],
                     "containers":[{"name":"app","image":"a:2","env":[{"name":"B","value":"2"}]},{"name":"new"},{"name":"old","$patch":"delete"}],
                     "securityContext":{"$patch":"replace","runAsUser":1}}}
            """);

        Json.Unchanged(() => StrategicMergePatch.Apply(live, patch, typeof(V1Pod)), live, patch);
    }

    [Fact]
    public void ResultSharesNoNodesWithInputs()
    {
        var live = Pod("""[{"name":"app","env":[{"name":"A","value":"1"}]}]""");
        var patch = Json.Obj("""{"spec":{"containers":[{"name":"new","env":[{"name":"B","value":"2"}]}]}}""");
        var liveText = live.ToJsonString();
        var patchText = patch.ToJsonString();

        var result = StrategicMergePatch.Apply(live, patch, typeof(V1Pod));
        foreach (var container in Containers(result)) container!["env"]![0]!["value"] = "changed";

        Assert.Equal(liveText, live.ToJsonString());
        Assert.Equal(patchText, patch.ToJsonString());
    }
}
