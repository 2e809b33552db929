using System.Text.Json.Nodes;

namespace Grainetes.Tests.Kubelet;

internal static class TestPods
{
    public static JsonObject Pod(string containersJson, string? extraSpec = null, string restartPolicy = "Always") =>
        (JsonObject)JsonNode.Parse($$"""
        {
          "apiVersion": "v1",
          "kind": "Pod",
          "metadata": { "name": "web", "namespace": "default", "uid": "uid-1", "labels": { "app": "shop" } },
          "spec": {
            "nodeName": "node-1",
            "serviceAccountName": "default",
            "restartPolicy": "{{restartPolicy}}",
            {{(extraSpec is null ? "" : extraSpec + ",")}}
            "containers": {{containersJson}}
          }
        }
        """)!;

    public static JsonObject Simple(string restartPolicy = "Always", string? extra = null) =>
        Pod("""[{ "name": "app", "image": "busybox:1.36" }]""", extra, restartPolicy);

    public static JsonObject Deleting(JsonObject pod, int? gracePeriodSeconds)
    {
        var copy = (JsonObject)pod.DeepClone();
        copy["metadata"]!["deletionTimestamp"] = "2026-01-01T00:01:00Z";
        if (gracePeriodSeconds is { } g) copy["metadata"]!["deletionGracePeriodSeconds"] = g;
        return copy;
    }
}
