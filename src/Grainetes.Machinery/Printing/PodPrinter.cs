using System.Globalization;
using System.Text.Json.Nodes;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>The pod row of <c>kubectl get pods</c>, including the status reason that folds container states into one word.</summary>
internal static class PodPrinter
{
    public static KindPrinter Printer { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            TableColumn.Text("Status", "The aggregate status of the containers in this pod."),
            TableColumn.Text("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            TableColumn.AgeColumn,
            TableColumn.Text("IP", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
            TableColumn.Text("Node", "NodeName indicates in which node this pod is scheduled.", 1),
            TableColumn.Text("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.", 1),
            TableColumn.Text("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
        ],
        Cells,
        Conditions);

    private static JsonArray? Conditions(JsonObject pod) => Str(pod, "status", "phase") switch
    {
        "Succeeded" => [new JsonObject { ["type"] = "Completed", ["status"] = "True", ["reason"] = "Succeeded", ["message"] = "The pod has completed successfully." }],
        "Failed" => [new JsonObject { ["type"] = "Completed", ["status"] = "True", ["reason"] = "Failed", ["message"] = "The pod failed." }],
        _ => null,
    };

    private static JsonNode?[] Cells(JsonObject pod, DateTimeOffset now)
    {
        var status = Node(pod, "status");
        var spec = Node(pod, "spec");
        var phase = Str(status, "phase") ?? "";
        var reason = StrOr(status, phase, "reason");
        var restarts = 0L;
        var restartableInitRestarts = 0L;
        var readyContainers = 0;
        var totalContainers = Count(spec, "containers");
        DateTimeOffset? lastRestart = null;
        DateTimeOffset? lastRestartableInitRestart = null;

        if (Objects(status, "conditions").Any(c => Str(c, "type") == "PodScheduled" && Str(c, "reason") == "SchedulingGated"))
        {
            reason = "SchedulingGated";
        }

        // Sidecars (init containers with restartPolicy Always) keep running, so they count as containers.
        var initContainers = Objects(spec, "initContainers").ToList();
        var restartable = initContainers
            .Where(c => Str(c, "restartPolicy") == "Always")
            .Select(c => Str(c, "name"))
            .ToHashSet(StringComparer.Ordinal);
        totalContainers += restartable.Count;

        var initializing = false;
        var index = 0;
        foreach (var container in Objects(status, "initContainerStatuses"))
        {
            var name = Str(container, "name");
            var count = Int(container, "restartCount") ?? 0;
            restarts += count;
            Later(ref lastRestart, Time(container, "lastState", "terminated", "finishedAt"));
            var isRestartable = name is not null && restartable.Contains(name);
            if (isRestartable)
            {
                restartableInitRestarts += count;
                Later(ref lastRestartableInitRestart, Time(container, "lastState", "terminated", "finishedAt"));
            }

            var terminated = Node(container, "state", "terminated");
            var waitingReason = Str(container, "state", "waiting", "reason");
            if (terminated is not null && (Int(terminated, "exitCode") ?? 0) == 0)
            {
                index++;
                continue;
            }

            if (isRestartable && Bool(container, "started"))
            {
                if (Bool(container, "ready")) readyContainers++;
                index++;
                continue;
            }

            if (terminated is not null)
            {
                var terminatedReason = Str(terminated, "reason");
                reason = !string.IsNullOrEmpty(terminatedReason)
                    ? "Init:" + terminatedReason
                    : (Int(terminated, "signal") ?? 0) != 0
                        ? Invariant($"Init:Signal:{Int(terminated, "signal")}")
                        : Invariant($"Init:ExitCode:{Int(terminated, "exitCode") ?? 0}");
            }
            else if (!string.IsNullOrEmpty(waitingReason) && waitingReason != "PodInitializing")
            {
                reason = "Init:" + waitingReason;
            }
            else
            {
                reason = Invariant($"Init:{index}/{initContainers.Count}");
            }

            initializing = true;
            break;
        }

        var initialized = Objects(status, "conditions").Any(c => Str(c, "type") == "Initialized" && Str(c, "status") == "True");
        if (!initializing || initialized)
        {
            restarts = restartableInitRestarts;
            lastRestart = lastRestartableInitRestart;
            var hasRunning = false;
            foreach (var container in Objects(status, "containerStatuses").Reverse())
            {
                restarts += Int(container, "restartCount") ?? 0;
                Later(ref lastRestart, Time(container, "lastState", "terminated", "finishedAt"));
                var waitingReason = Str(container, "state", "waiting", "reason");
                var terminated = Node(container, "state", "terminated");
                if (!string.IsNullOrEmpty(waitingReason))
                {
                    reason = waitingReason;
                }
                else if (terminated is not null)
                {
                    var terminatedReason = Str(terminated, "reason");
                    reason = !string.IsNullOrEmpty(terminatedReason)
                        ? terminatedReason
                        : (Int(terminated, "signal") ?? 0) != 0
                            ? Invariant($"Signal:{Int(terminated, "signal")}")
                            : Invariant($"ExitCode:{Int(terminated, "exitCode") ?? 0}");
                }
                else if (Bool(container, "ready") && Node(container, "state", "running") is not null)
                {
                    hasRunning = true;
                    readyContainers++;
                }
            }

            // A pod whose last container completed while another still runs is not "Completed".
            if (reason == "Completed" && hasRunning)
            {
                var ready = Objects(status, "conditions").Any(c => Str(c, "type") == "Ready" && Str(c, "status") == "True");
                reason = ready ? "Running" : "NotReady";
            }
        }

        if (Node(pod, "metadata", "deletionTimestamp") is not null)
        {
            if (Str(status, "reason") == "NodeLost") reason = "Unknown";
            else if (phase is not "Succeeded" and not "Failed") reason = "Terminating";
        }

        var restartsText = restarts != 0 && lastRestart is { } last
            ? Invariant($"{restarts} ({HumanDuration.Since(last, now)} ago)")
            : restarts.ToString(CultureInfo.InvariantCulture);

        var podIp = Objects(status, "podIPs").Select(p => Str(p, "ip")).FirstOrDefault() ?? Str(status, "podIP");
        var readinessGates = "<none>";
        var gates = Objects(spec, "readinessGates").Select(g => Str(g, "conditionType")).ToList();
        if (gates.Count > 0)
        {
            var conditions = Objects(status, "conditions").ToList();
            var passing = gates.Count(g => conditions.FirstOrDefault(c => Str(c, "type") == g) is { } c && Str(c, "status") == "True");
            readinessGates = Invariant($"{passing}/{gates.Count}");
        }

        return
        [
            Str(pod, "metadata", "name"),
            Invariant($"{readyContainers}/{totalContainers}"),
            reason,
            restartsText,
            Age(pod, now),
            string.IsNullOrEmpty(podIp) ? "<none>" : podIp,
            StrOr(spec, "<none>", "nodeName"),
            StrOr(status, "<none>", "nominatedNodeName"),
            readinessGates,
        ];
    }

    private static void Later(ref DateTimeOffset? latest, DateTimeOffset? candidate)
    {
        if (candidate is { } c && (latest is null || latest < c)) latest = c;
    }

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
