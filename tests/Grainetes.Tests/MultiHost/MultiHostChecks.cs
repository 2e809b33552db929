using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;

namespace Grainetes.Tests.MultiHost;

/// <summary>What the several-host tests read from a cluster (through kubectl) and from the hosts' process runtimes.</summary>
internal static class MultiHostChecks
{
    /// <summary>Answers null while the API is not answering (a host starting or failing over), for polls.</summary>
    public static async Task<T?> TryAsync<T>(Func<Task<T>> probe)
        where T : class
    {
        try
        {
            return await probe();
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            return null;
        }
    }

    public static async Task<Dictionary<string, string>> ReadyByNodeAsync(Kubectl kubectl)
    {
        var json = JsonNode.Parse((await kubectl.RunAsync("get nodes -o json", timeout: TimeSpan.FromSeconds(40))).EnsureSuccess().Stdout)!;
        return json["items"]!.AsArray().ToDictionary(
            n => (string)n!["metadata"]!["name"]!,
            n => (string?)n!["status"]?["conditions"]?.AsArray().FirstOrDefault(c => (string?)c?["type"] == "Ready")?["status"] ?? "");
    }

    /// <summary>The pods labelled <c>app=<paramref name="app"/></c> in <paramref name="ns"/> that are not being deleted.</summary>
    public static async Task<PodRows> PodsAsync(Kubectl kubectl, string ns, string app)
    {
        var json = JsonNode.Parse((await kubectl.RunAsync($"get pods -n {ns} -l app={app} -o json", timeout: TimeSpan.FromSeconds(40))).EnsureSuccess().Stdout)!;
        return json["items"]!.AsArray()
            .Where(p => p!["metadata"]?["deletionTimestamp"] is null)
            .Select(p => new PodRow(
                (string)p!["metadata"]!["name"]!,
                (string?)p["spec"]?["nodeName"],
                (string?)p["status"]?["conditions"]?.AsArray().FirstOrDefault(c => (string?)c?["type"] == "Ready")?["status"] == "True",
                (string)p["metadata"]!["uid"]!))
            .Aggregate(new PodRows(), (rows, row) =>
            {
                rows.Add(row);
                return rows;
            });
    }

    /// <summary>The objects of <paramref name="resource"/> in <paramref name="ns"/> whose name starts with <paramref name="prefix"/>: uid/resourceVersion/data, by name.</summary>
    public static async Task<SortedDictionary<string, string>> ObjectsAsync(Kubectl kubectl, string resource, string ns, string prefix)
    {
        var json = JsonNode.Parse((await kubectl.RunAsync($"get {resource} -n {ns} -o json", timeout: TimeSpan.FromSeconds(40))).EnsureSuccess().Stdout)!;
        return new SortedDictionary<string, string>(json["items"]!.AsArray()
            .Where(c => ((string)c!["metadata"]!["name"]!).StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(c => (string)c!["metadata"]!["name"]!, c => c!["metadata"]!["uid"] + "/" + c["metadata"]!["resourceVersion"] + "/" + c["data"]!.ToJsonString()), StringComparer.Ordinal);
    }

    /// <summary>The process runtime's containers under a home: their directories and main processes' pids.</summary>
    public static List<(string Directory, int? Pid)> ProcessContainers(string home)
    {
        var root = Path.Combine(home, "process-runtime", "containers");
        return !Directory.Exists(root)
            ? []
            : Directory.GetDirectories(root)
                .Select(d => (d, int.TryParse(File.Exists(Path.Combine(d, "pid")) ? File.ReadAllText(Path.Combine(d, "pid")).Trim() : "", out var pid) ? pid : (int?)null))
                .ToList();
    }

    /// <summary>The pod uid a process-runtime container belongs to (from its <c>container.json</c>), or null when it has none yet.</summary>
    public static string? PodUidOf(string containerDirectory)
    {
        var record = Path.Combine(containerDirectory, "container.json");
        try
        {
            return File.Exists(record) ? (string?)JsonNode.Parse(File.ReadAllText(record))?["PodUid"] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>What the cluster looked like when a step timed out: pods, events and the hosts' warnings.</summary>
    public static async Task<T> WithDiagnosticsAsync<T>(MultiHostClusterFixture cluster, Kubectl kubectl, string ns, Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (TimeoutException ex)
        {
            var pods = await kubectl.RunAsync($"get pods,replicasets,events -n {ns} -o wide");
            var outputs = string.Join("\n", Enumerable.Range(0, MultiHostClusterFixture.HostCount).Select(i =>
                $"--- host {i}:\n" + string.Join("\n", cluster.Output(i).Split('\n').Where(l => !l.StartsWith("info: Grainetes.Grains.Store", StringComparison.Ordinal)).TakeLast(60))));
            throw new TimeoutException($"{ex.Message}\n{pods.Stdout}{pods.Stderr}\n{outputs}", ex);
        }
    }

    public static bool IsAlive(int? pid) =>
        pid is { } p && File.Exists($"/proc/{p}/stat") && !File.ReadAllText($"/proc/{p}/stat").Contains(") Z ", StringComparison.Ordinal);
}
