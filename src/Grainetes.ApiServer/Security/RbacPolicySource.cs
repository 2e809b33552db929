using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// The RBAC informer of this API server: lists the four RBAC kinds, follows their change logs, and keeps an
/// immutable <see cref="RbacPolicy"/> snapshot that every request reads without a grain call.
/// </summary>
public sealed partial class RbacPolicySource(IGrainFactory grains, ILogger<RbacPolicySource> logger) : BackgroundService
{
    private static readonly string[] Kinds =
    [
        "roles.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io",
        "rolebindings.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io",
    ];

    private readonly Dictionary<string, Dictionary<string, JsonObject>> objects = Kinds.ToDictionary(k => k, _ => new Dictionary<string, JsonObject>(StringComparer.Ordinal));
    private readonly HashSet<string> listedKinds = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RbacPolicy current = RbacPolicy.Empty;

    public RbacPolicy Current => current;

    /// <summary>Completes once every kind has been listed; requests wait for it so a fresh silo never denies what its policy allows.</summary>
    public Task Loaded => loaded.Task;

    /// <summary>Serves a fixed policy without following storage (tests of the layers above that need no cluster).</summary>
    internal void Serve(RbacPolicy policy)
    {
        current = policy;
        loaded.TrySetResult();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var followers = Kinds.Select(kind => FollowAsync(kind, stoppingToken)).ToList();
        await Task.WhenAll(followers);
    }

    private async Task FollowAsync(string kind, CancellationToken stoppingToken)
    {
        var collection = grains.GetGrain<IResourceCollectionGrain>(kind);
        long after = -1;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (after < 0)
                {
                    after = await ListAsync(kind, collection);
                    continue;
                }

                var batch = await collection.Poll(after, null, TimeSpan.FromSeconds(10));
                if (batch.Gone)
                {
                    after = -1;
                    continue;
                }

                if (batch.Events.Count > 0)
                {
                    lock (objects)
                    {
                        foreach (var change in batch.Events)
                        {
                            var key = change.Namespace + "/" + change.Name;
                            if (change.Type == WatchEventType.Deleted)
                            {
                                objects[kind].Remove(key);
                            }
                            else if (JsonNode.Parse(change.Json) is JsonObject obj)
                            {
                                objects[kind][key] = obj;
                            }
                        }

                        Rebuild();
                    }
                }

                after = Math.Max(after, batch.LatestResourceVersion);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFollowFailed(ex, kind);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<long> ListAsync(string kind, IResourceCollectionGrain collection)
    {
        var items = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        string? continueToken = null;
        long version;
        do
        {
            var page = await collection.List(new ListRequest { Limit = 500, Continue = continueToken });
            foreach (var json in page.Items)
            {
                if (JsonNode.Parse(json) is JsonObject obj)
                {
                    items[$"{obj["metadata"]?["namespace"]}/{obj["metadata"]?["name"]}"] = obj;
                }
            }

            version = page.ResourceVersion;
            continueToken = page.Continue;
        }
        while (continueToken is not null);

        lock (objects)
        {
            objects[kind] = items;
            listedKinds.Add(kind);
            Rebuild();
            if (listedKinds.Count == Kinds.Length)
            {
                loaded.TrySetResult();
            }
        }

        return version;
    }

    private void Rebuild() => current = new RbacPolicy(
        objects[Kinds[0]].Values, objects[Kinds[1]].Values, objects[Kinds[2]].Values, objects[Kinds[3]].Values);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Following {Kind} for RBAC failed; retrying")]
    private partial void LogFollowFailed(Exception ex, string kind);
}
