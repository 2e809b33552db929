using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Defaulting;

/// <summary>
/// The defaults Kubernetes' API server fills in on create and update, for the fields clients read back
/// (kubectl diff and apply compare against them; controllers rely on them).
/// </summary>
public static class ObjectDefaults
{
    public static void Apply(ResourceType type, JsonObject obj)
    {
        switch (type.StorageKey)
        {
            case "pods":
                DefaultPodSpec(Obj(obj, "spec"));
                var status = Obj(obj, "status");
                status["phase"] ??= "Pending";
                status["qosClass"] ??= "BestEffort";
                break;
            case "deployments.apps":
                var spec = Obj(obj, "spec");
                spec["replicas"] ??= 1;
                spec["revisionHistoryLimit"] ??= 10;
                spec["progressDeadlineSeconds"] ??= 600;
                var strategy = Obj(spec, "strategy");
                strategy["type"] ??= "RollingUpdate";
                if ((string?)strategy["type"] == "RollingUpdate")
                {
                    var rolling = Obj(strategy, "rollingUpdate");
                    rolling["maxSurge"] ??= "25%";
                    rolling["maxUnavailable"] ??= "25%";
                }

                DefaultPodSpec(Obj(Obj(spec, "template"), "spec"));
                break;
            case "replicasets.apps":
                var rsSpec = Obj(obj, "spec");
                rsSpec["replicas"] ??= 1;
                DefaultPodSpec(Obj(Obj(rsSpec, "template"), "spec"));
                break;
            case "daemonsets.apps":
                var dsSpec = Obj(obj, "spec");
                dsSpec["revisionHistoryLimit"] ??= 10;
                var dsStrategy = Obj(dsSpec, "updateStrategy");
                dsStrategy["type"] ??= "RollingUpdate";
                if ((string?)dsStrategy["type"] == "RollingUpdate")
                {
                    var rolling = Obj(dsStrategy, "rollingUpdate");
                    rolling["maxUnavailable"] ??= 1;
                    rolling["maxSurge"] ??= 0;
                }

                DefaultPodSpec(Obj(Obj(dsSpec, "template"), "spec"));
                break;
            case "jobs.batch":
                DefaultJob(obj);
                break;
            case "cronjobs.batch":
                var cjSpec = Obj(obj, "spec");
                cjSpec["concurrencyPolicy"] ??= "Allow";
                cjSpec["suspend"] ??= false;
                cjSpec["successfulJobsHistoryLimit"] ??= 3;
                cjSpec["failedJobsHistoryLimit"] ??= 1;
                DefaultPodSpec(Obj(Obj(Obj(Obj(cjSpec, "jobTemplate"), "spec"), "template"), "spec"));
                break;
            case "services":
                var svc = Obj(obj, "spec");
                svc["type"] ??= "ClusterIP";
                svc["sessionAffinity"] ??= "None";
                if (svc["ports"] is JsonArray ports)
                {
                    foreach (var port in ports.OfType<JsonObject>())
                    {
                        port["protocol"] ??= "TCP";
                        port["targetPort"] ??= port["port"]?.DeepClone();
                    }
                }

                break;
            case "namespaces":
                Obj(obj, "spec")["finalizers"] ??= new JsonArray("kubernetes");
                Obj(obj, "status")["phase"] ??= "Active";
                break;
            case "secrets":
                SecretStringData.Fold(obj);
                obj["type"] ??= "Opaque";
                break;
            case "horizontalpodautoscalers.autoscaling":
                HorizontalPodAutoscalerDefaults.Apply(obj);
                break;
        }
    }

    /// <summary>
    /// Kubernetes' SetDefaults_Job plus the job strategy's generated selector: unless <c>manualSelector</c> is
    /// set, pods are selected by the job's uid, so two jobs never claim each other's pods.
    /// </summary>
    private static void DefaultJob(JsonObject job)
    {
        var spec = Obj(job, "spec");
        if (spec["completions"] is null && spec["parallelism"] is null)
        {
            spec["completions"] = 1;
        }

        spec["parallelism"] ??= 1;

        // With a per-index limit the job-wide one is off, unless set (Kubernetes defaults it to MaxInt32).
        spec["backoffLimit"] ??= spec["backoffLimitPerIndex"] is null ? 6 : int.MaxValue;
        spec["completionMode"] ??= "NonIndexed";
        spec["suspend"] ??= false;
        spec["podReplacementPolicy"] ??= spec["podFailurePolicy"] is null ? "TerminatingOrFailed" : "Failed";
        foreach (var rule in (spec["podFailurePolicy"]?["rules"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            foreach (var pattern in (rule["onPodConditions"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                pattern["status"] ??= "True";
            }
        }
        var template = Obj(spec, "template");
        DefaultPodSpec(Obj(template, "spec"));

        var meta = Obj(job, "metadata");
        var uid = (string?)meta["uid"];
        var manual = spec["manualSelector"] is JsonValue m && m.TryGetValue<bool>(out var b) && b;
        if (!manual && spec["selector"] is null && !string.IsNullOrEmpty(uid))
        {
            var name = (string?)meta["name"] ?? "";
            var labels = Obj(Obj(template, "metadata"), "labels");
            labels["batch.kubernetes.io/controller-uid"] ??= uid;
            labels["batch.kubernetes.io/job-name"] ??= name;
            labels["controller-uid"] ??= uid;
            labels["job-name"] ??= name;
            spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
        }

        // batch/v1 defaults a job's missing or empty labels to its template's; labels of the wrong type are left for
        // validation to refuse rather than silently replaced.
        if (meta["labels"] is null or JsonObject { Count: 0 } && template["metadata"]?["labels"] is JsonObject { Count: > 0 } templateLabels)
        {
            meta["labels"] = templateLabels.DeepClone();
        }
    }

    private static void DefaultPodSpec(JsonObject spec)
    {
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["schedulerName"] ??= "default-scheduler";
        spec["securityContext"] ??= new JsonObject();
        spec["serviceAccountName"] ??= "default";
        foreach (var list in new[] { "initContainers", "containers" })
        {
            if (spec[list] is not JsonArray containers)
            {
                continue;
            }

            foreach (var container in containers.OfType<JsonObject>())
            {
                var image = (string?)container["image"] ?? "";
                var tagged = image.Contains(':', StringComparison.Ordinal) && !image.EndsWith(":latest", StringComparison.Ordinal);
                container["imagePullPolicy"] ??= tagged || image.Contains('@', StringComparison.Ordinal) ? "IfNotPresent" : "Always";
                container["terminationMessagePath"] ??= "/dev/termination-log";
                container["terminationMessagePolicy"] ??= "File";
                container["resources"] ??= new JsonObject();
                if (container["ports"] is JsonArray ports)
                {
                    foreach (var port in ports.OfType<JsonObject>())
                    {
                        port["protocol"] ??= "TCP";
                    }
                }
            }
        }
    }

    private static JsonObject Obj(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[name] = created;
        return created;
    }
}
