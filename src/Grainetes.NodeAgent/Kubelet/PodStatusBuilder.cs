using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Runtime;
using static Grainetes.NodeAgent.Kubelet.PodJson;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>
/// Folds a pod's spec and what the runtime and the probes say into the pod's <c>status</c>, as the kubelet
/// reports it. Pure: the same input gives the same JSON, so the worker can skip reports that change nothing.
/// </summary>
public static class PodStatusBuilder
{
    private static readonly HashSet<string> OwnedConditions =
        ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];

    public static JsonObject Build(JsonObject pod, PodStatusInput input)
    {
        var restartPolicy = Str(pod, "spec", "restartPolicy") ?? "Always";
        var previous = input.PreviousStatus ?? Node(pod, "status") as JsonObject;
        var phase = Phase(restartPolicy, input, Str(previous, "phase"));
        var terminal = phase is "Succeeded" or "Failed";

        var incompleteInit = input.InitContainers.Where(c => !Completed(c)).Select(c => c.Name).ToList();
        var unready = input.Containers.Where(c => !c.Ready).Select(c => c.Name).ToList();

        var conditions = new JsonArray();
        void Add(string type, bool value, string? reason = null, string? message = null)
        {
            var status = value ? "True" : "False";
            var before = Objects(previous, "conditions").FirstOrDefault(c => Str(c, "type") == type);
            var since = before is not null && Str(before, "status") == status && Str(before, "lastTransitionTime") is { } t
                ? t
                : Format(input.Now);
            var condition = new JsonObject { ["type"] = type, ["status"] = status, ["lastProbeTime"] = null, ["lastTransitionTime"] = since };
            if (reason is not null) condition["reason"] = reason;
            if (message is not null) condition["message"] = message;
            conditions.Add(condition);
        }

        Add("PodReadyToStartContainers", input.SandboxReady && !terminal);
        if (incompleteInit.Count == 0)
        {
            Add("Initialized", true);
        }
        else
        {
            Add("Initialized", false, "ContainersNotInitialized", $"containers with incomplete status: [{string.Join(' ', incompleteInit)}]");
        }

        var readyValue = !terminal && unready.Count == 0 && incompleteInit.Count == 0;
        var (readyReason, readyMessage) = terminal
            ? ("PodCompleted", (string?)null)
            : readyValue ? (null, null) : ("ContainersNotReady", $"containers with unready status: [{string.Join(' ', unready)}]");
        Add("Ready", readyValue, readyReason, readyMessage);
        Add("ContainersReady", readyValue, readyReason, readyMessage);
        Add("PodScheduled", true);

        // Conditions set by others (readiness gates, DisruptionTarget) are theirs to keep.
        foreach (var other in Objects(Node(pod, "status"), "conditions"))
        {
            if (Str(other, "type") is { } type && !OwnedConditions.Contains(type))
            {
                conditions.Add(other.DeepClone());
            }
        }

        var status = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = conditions,
            ["hostIP"] = input.HostIP,
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = input.HostIP }),
        };
        if (!string.IsNullOrEmpty(input.PodIP))
        {
            status["podIP"] = input.PodIP;
            status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = input.PodIP });
        }

        if (input.StartTime is { } start) status["startTime"] = Format(start);
        if (input.InitContainers.Count > 0)
        {
            status["initContainerStatuses"] = Statuses(input.InitContainers, input.RuntimeName, "PodInitializing", init: true);
        }

        status["containerStatuses"] = Statuses(
            input.Containers, input.RuntimeName, incompleteInit.Count > 0 ? "PodInitializing" : "ContainerCreating", init: false);
        status["qosClass"] = QosClass(pod);
        return status;
    }

    /// <summary>The pod phase by the kubelet's rules; a terminal phase is final.</summary>
    private static string Phase(string restartPolicy, PodStatusInput input, string? previousPhase)
    {
        if (previousPhase is "Succeeded" or "Failed") return previousPhase;
        foreach (var init in input.InitContainers)
        {
            if (Completed(init)) continue;
            if (restartPolicy == "Never" && init.WaitingReason is null
                && init.Current is { Status: ContainerStatus.Exited, ExitCode: not 0 })
            {
                return "Failed";
            }

            return "Pending";
        }

        int waiting = 0, running = 0, stopped = 0, succeeded = 0;
        foreach (var c in input.Containers)
        {
            if (c.WaitingReason is null && c.Current is { Status: ContainerStatus.Running })
            {
                running++;
            }
            else if (c.WaitingReason is null && c.Current is { Status: ContainerStatus.Exited } exited)
            {
                stopped++;
                if (exited.ExitCode == 0) succeeded++;
            }
            else if (c.LastTerminated is not null)
            {
                // Waiting to restart after a termination counts as stopped, as in the kubelet.
                stopped++;
            }
            else
            {
                waiting++;
            }
        }

        if (waiting > 0) return "Pending";
        if (running > 0) return "Running";
        if (stopped > 0)
        {
            if (restartPolicy == "Always") return "Running";
            if (stopped == succeeded) return "Succeeded";
            return restartPolicy == "Never" ? "Failed" : "Running";
        }

        return "Pending";
    }

    private static bool Completed(ContainerView init) =>
        init.WaitingReason is null && init.Current is { Status: ContainerStatus.Exited, ExitCode: 0 };

    private static JsonArray Statuses(IReadOnlyList<ContainerView> views, string runtimeName, string defaultWaiting, bool init)
    {
        var array = new JsonArray();
        foreach (var view in views)
        {
            var status = new JsonObject
            {
                ["name"] = view.Name,
                ["state"] = State(view, runtimeName, defaultWaiting),
                ["lastState"] = view.LastTerminated is { } last ? new JsonObject { ["terminated"] = Terminated(last, runtimeName) } : new JsonObject(),
                ["ready"] = view.Ready,
                ["restartCount"] = view.RestartCount,
                ["image"] = view.Image,
                ["imageID"] = view.Current?.ImageId ?? "",
            };
            if (view.WaitingReason is null && view.Current is { } current)
            {
                status["containerID"] = ContainerId(runtimeName, current.ContainerId);
            }

            status["started"] = !init ? view.Started : view.Started && view.WaitingReason is null && view.Current?.Status == ContainerStatus.Running;
            array.Add(status);
        }

        return array;
    }

    private static JsonObject State(ContainerView view, string runtimeName, string defaultWaiting)
    {
        if (view.WaitingReason is { } reason)
        {
            var waiting = new JsonObject { ["reason"] = reason };
            if (!string.IsNullOrEmpty(view.WaitingMessage)) waiting["message"] = view.WaitingMessage;
            return new JsonObject { ["waiting"] = waiting };
        }

        return view.Current switch
        {
            { Status: ContainerStatus.Running } running => new JsonObject
            {
                ["running"] = new JsonObject { ["startedAt"] = running.StartedAt is { } s ? Format(s) : null },
            },
            { Status: ContainerStatus.Exited } exited => new JsonObject { ["terminated"] = Terminated(exited, runtimeName) },
            _ => new JsonObject { ["waiting"] = new JsonObject { ["reason"] = defaultWaiting } },
        };
    }

    private static JsonObject Terminated(ContainerState state, string runtimeName)
    {
        var exitCode = state.ExitCode ?? 0;
        var terminated = new JsonObject
        {
            ["exitCode"] = exitCode,
            ["reason"] = state.Reason ?? (exitCode == 0 ? "Completed" : "Error"),
        };
        if (!string.IsNullOrEmpty(state.Message)) terminated["message"] = state.Message;
        terminated["startedAt"] = state.StartedAt is { } s ? Format(s) : null;
        terminated["finishedAt"] = state.FinishedAt is { } f ? Format(f) : null;
        terminated["containerID"] = ContainerId(runtimeName, state.ContainerId);
        return terminated;
    }

    private static string ContainerId(string runtimeName, string id) => $"{runtimeName}://{id}";

    /// <summary>Guaranteed when every container limits cpu and memory with equal requests; BestEffort when none asks for any.</summary>
    public static string QosClass(JsonObject pod)
    {
        var containers = Objects(pod, "spec", "containers").Concat(Objects(pod, "spec", "initContainers")).ToList();
        var any = false;
        var guaranteed = true;
        foreach (var container in containers)
        {
            foreach (var resource in (string[])["cpu", "memory"])
            {
                var limit = Str(container, "resources", "limits", resource);
                var request = Str(container, "resources", "requests", resource) ?? limit;
                if (Quantity.TryParse(limit, out var l) && l != 0 || Quantity.TryParse(request, out var r) && r != 0) any = true;
                if (limit is null || !Quantity.TryParse(limit, out l) || !Quantity.TryParse(request, out r) || l != r) guaranteed = false;
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
