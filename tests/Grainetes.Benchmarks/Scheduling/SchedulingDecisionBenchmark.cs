using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;

namespace Grainetes.Benchmarks.Scheduling;

/// <summary>
/// The cost of one scheduling decision alone (filter, score, pick, and the in-memory accounting of the pick), in
/// process with no storage, at several cluster sizes. Nodes carry labels and a few taints and half the pods have
/// a node selector, so the filters do real work; pods come from a handful of owners so spreading matters.
/// </summary>
public static class SchedulingDecisionBenchmark
{
    public static void Run(TextWriter output)
    {
        output.WriteLine("scheduling decision (filter + score + pick + assume), per pod:");

        // Tiered compilation promotes hot methods only after they stay hot for a while: warm up long enough
        // that the first size measured runs optimized code too.
        var warmup = Enumerable.Range(0, 5_000).Select(MakePod).ToArray();
        for (var round = 0; round < 3; round++)
        {
            Decide(MakeCache(1_000), warmup);
        }

        foreach (var nodeCount in new[] { 100, 1_000, 5_000 })
        {
            var (perPodNs, cpuPerPodNs, pods) = Measure(nodeCount);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {nodeCount,5} nodes: {perPodNs / 1000.0,8:F1} µs/pod wall, {cpuPerPodNs / 1000.0,8:F1} µs/pod cpu ({1e9 / perPodNs,9:F0} decisions/s over {pods} pods)"));
        }
    }

    // Process CPU time as well as wall time: on a shared, oversubscribed machine wall time mostly measures waiting.
    private static (double NanosecondsPerPod, double CpuNanosecondsPerPod, int Pods) Measure(int nodeCount)
    {
        // Enough pods to fill a good share of the cluster, so later decisions see loaded nodes.
        var podCount = Math.Clamp(nodeCount * 5, 2_000, 20_000);
        var pods = Enumerable.Range(0, podCount).Select(MakePod).ToArray();

        var cache = MakeCache(nodeCount);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var scheduled = Decide(cache, pods);
        watch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        if (scheduled == 0)
        {
            throw new InvalidOperationException("no pod was scheduled: the benchmark's cluster is wrong");
        }

        return (watch.Elapsed.TotalNanoseconds / podCount, cpu.TotalNanoseconds / podCount, podCount);
    }

    private static int Decide(SchedulingCache cache, ReadOnlySpan<PodInfo> pods)
    {
        var algorithm = new SchedulingAlgorithm();
        var scheduled = 0;
        foreach (var pod in pods)
        {
            if (algorithm.Schedule(pod, cache.Nodes).Node is { } node)
            {
                cache.Assume(pod, node.Name);
                scheduled++;
            }
        }

        return scheduled;
    }

    private static SchedulingCache MakeCache(int nodeCount)
    {
        var cache = new SchedulingCache();
        for (var i = 0; i < nodeCount; i++)
        {
            var taints = new JsonArray();
            if (i % 10 == 0)
            {
                taints.Add(new JsonObject { ["key"] = "dedicated", ["value"] = "batch", ["effect"] = "NoSchedule" });
            }

            var node = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = "node-" + i.ToString("D5", CultureInfo.InvariantCulture),
                    ["labels"] = new JsonObject
                    {
                        ["kubernetes.io/hostname"] = "node-" + i,
                        ["topology.kubernetes.io/zone"] = "zone-" + (i % 3),
                        ["disk"] = i % 2 == 0 ? "ssd" : "hdd",
                    },
                },
                ["spec"] = new JsonObject { ["taints"] = taints },
                ["status"] = new JsonObject
                {
                    ["allocatable"] = new JsonObject { ["cpu"] = "16", ["memory"] = "64Gi", ["pods"] = "110" },
                    ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = i % 50 == 49 ? "False" : "True" }),
                },
            };
            cache.SetNode(NodeInfo.Parse(node));
        }

        return cache;
    }

    private static PodInfo MakePod(int i)
    {
        var spec = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = (100 + (i % 5) * 100) + "m", ["memory"] = (128 + (i % 4) * 128) + "Mi" } },
            }),
        };
        if (i % 2 == 0)
        {
            spec["nodeSelector"] = new JsonObject { ["disk"] = "ssd" };
        }

        if (i % 7 == 0)
        {
            spec["tolerations"] = new JsonArray(new JsonObject { ["key"] = "dedicated", ["operator"] = "Exists", ["effect"] = "NoSchedule" });
        }

        var meta = new JsonObject
        {
            ["name"] = "pod-" + i,
            ["namespace"] = "bench",
            ["labels"] = new JsonObject { ["app"] = "app-" + (i % 20) },
            ["ownerReferences"] = new JsonArray(new JsonObject { ["kind"] = "ReplicaSet", ["name"] = "rs", ["uid"] = "rs-" + (i % 20), ["controller"] = true }),
        };
        return PodInfo.Parse(new JsonObject { ["metadata"] = meta, ["spec"] = spec });
    }
}
