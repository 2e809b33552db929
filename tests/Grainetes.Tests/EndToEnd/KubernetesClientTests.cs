using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Grainetes.Tests.EndToEnd;

/// <summary>The official C# client (KubernetesClient) against the same API.</summary>
[Collection(ClusterCollection.Name)]
public sealed class KubernetesClientTests(ClusterFixture cluster)
{
    [Fact]
    public async Task CreateListWatchPatchDelete()
    {
        using var client = (Kubernetes)cluster.CreateClient();
        var ns = "k-" + Guid.NewGuid().ToString("N")[..10];
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });

        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c1", Labels = new Dictionary<string, string> { ["app"] = "k" } }, Data = new Dictionary<string, string> { ["a"] = "1" } },
            ns);
        Assert.NotNull(created.Metadata.Uid);

        var list = await client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "app=k");
        Assert.Equal(["c1"], list.Items.Select(i => i.Metadata.Name));

        var events = new List<(WatchEventType Type, string Value)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var collecting = Task.Run(async () =>
        {
            await foreach (var (type, cm) in client.CoreV1.WatchListNamespacedConfigMapAsync(ns, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cts.Token))
            {
                events.Add((type, cm.Data is { } data && data.TryGetValue("a", out var a) ? a : ""));
                if (type == WatchEventType.Deleted)
                {
                    return;
                }
            }
        });

        var patched = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"a":"2"}}""", V1Patch.PatchType.MergePatch), "c1", ns);
        Assert.Equal("2", patched.Data["a"]);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("c1", ns);
        await collecting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([(WatchEventType.Modified, "2"), (WatchEventType.Deleted, "2")], events);

        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMapAsync("c1", ns));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.Response.StatusCode);
    }
}
