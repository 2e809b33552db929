using System.Diagnostics;
using Grainetes.Tests.EndToEnd;

namespace Grainetes.Tests.Telemetry;

/// <summary>
/// One <c>kubectl apply</c> of a Deployment is one trace: from the HTTP request through the object grain's commit,
/// the Deployment and ReplicaSet controllers, the pod's creation, the scheduler's binding and the node agent's sync
/// to the container start, with Orleans' grain-call spans in between.
/// </summary>
[Collection(TracedClusterCollection.Name)]
public sealed class ApplyTraceTests(TracedClusterFixture cluster, Xunit.Abstractions.ITestOutputHelper output)
{
    private const string AspNetCoreRequest = "Microsoft.AspNetCore.Hosting.HttpRequestIn";
    private const string OrleansApplication = "Microsoft.Orleans.Application";

    /// <summary>From the container start up to the request, the Grainetes spans every apply must pass through.</summary>
    private static readonly string[] ExpectedAncestry =
    [
        "start container",
        "sync pod",
        "commit pods",                      // the binding
        "schedule pod",
        "commit pods",                      // the pod's creation
        "reconcile ReplicaSetController",
        "wake ReplicaSetController",
        "commit replicasets.apps",
        "reconcile DeploymentController",
        "wake DeploymentController",
        "commit deployments.apps",
        "create deployments.apps",
        AspNetCoreRequest,
    ];

    [Fact]
    public async Task ApplyOfADeploymentIsOneTraceFromTheRequestToTheContainerStart()
    {
        // Spans end when their work ends: the container start may still be closing when the rollout is reported.
        var (request, start) = await Poll.UntilAsync(
            () => Task.FromResult(FindRequestAndContainerStart(cluster.Spans.Snapshot())),
            found => found.Start is not null,
            TimeSpan.FromSeconds(30),
            "the container start span in the POST's trace");

        var spans = cluster.Spans.Snapshot().Where(s => s.TraceId == request!.TraceId).ToList();
        var chain = Ancestry(start!, spans);
        var described = string.Join("\n  <- ", chain.Select(s => $"{s.DisplayName} [{s.Source.Name}]"));
        output.WriteLine($"trace {request!.TraceId}: {spans.Count} spans; the container start's ancestry:\n  {described}");

        Assert.Same(request, chain[^1]);
        Assert.True(IsSubsequence(ExpectedAncestry, chain.Select(Name).ToList()), "ancestry of the container start:\n  " + described);

        // Orleans' own spans are the hops between ours: the write, the one-way wake-ups and the binding's patch.
        var orleans = chain.Where(s => s.Source.Name == OrleansApplication).Select(s => s.DisplayName).ToList();
        Assert.Contains("IObjectGrain/Create", orleans);
        Assert.Contains("IDeploymentControllerGrain/Reconcile", orleans);
        Assert.Contains("IReplicaSetControllerGrain/Reconcile", orleans);
        Assert.Contains("IObjectGrain/Patch", orleans);

        // The container start's own runtime calls hang under it.
        var runtimeCalls = spans.Where(s => s.ParentSpanId == start!.SpanId).Select(s => s.DisplayName).ToList();
        Assert.Contains("runtime create_container", runtimeCalls);
        Assert.Contains("runtime start_container", runtimeCalls);

        // The same trace carries the names of what it touched.
        var commit = chain.First(s => s.DisplayName == "commit deployments.apps");
        Assert.Equal(TracedClusterFixture.DeploymentName, commit.GetTagItem("k8s.name"));
        Assert.Equal(cluster.NodeName, chain.First(s => s.DisplayName == "sync pod").GetTagItem("k8s.node"));
    }

    private static (Activity? Request, Activity? Start) FindRequestAndContainerStart(IReadOnlyList<Activity> spans)
    {
        var request = spans.FirstOrDefault(s => s.OperationName == AspNetCoreRequest
            && (string?)s.GetTagItem("http.request.method") == "POST"
            && ((string?)s.GetTagItem("url.path"))?.EndsWith("/namespaces/default/deployments", StringComparison.Ordinal) == true);
        var start = request is null
            ? null
            : spans.FirstOrDefault(s => s.TraceId == request.TraceId && s.DisplayName == "start container" && (string?)s.GetTagItem("k8s.container.name") == "web");
        return (request, start);
    }

    /// <summary>The span and its parents, up to the first span whose parent is not in the trace.</summary>
    private static List<Activity> Ancestry(Activity leaf, IReadOnlyList<Activity> trace)
    {
        var bySpanId = trace.ToDictionary(s => s.SpanId);
        var chain = new List<Activity> { leaf };
        while (chain[^1].ParentSpanId != default && bySpanId.TryGetValue(chain[^1].ParentSpanId, out var parent))
        {
            chain.Add(parent);
        }

        return chain;
    }

    private static string Name(Activity span) => span.OperationName == AspNetCoreRequest ? AspNetCoreRequest : span.DisplayName;

    private static bool IsSubsequence(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var i = 0;
        foreach (var name in actual)
        {
            if (i < expected.Count && name == expected[i])
            {
                i++;
            }
        }

        return i == expected.Count;
    }
}
