using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Microsoft.Extensions.Logging;

namespace Grainetes.NodeAgent.Proxy;

/// <summary>
/// An in-memory copy of every object of one kind, kept by a list and then the kind's change log (long polls), listed
/// again when the log has moved past it or a call fails. Calls <c>changed</c> after each list and each batch.
/// </summary>
public sealed partial class CollectionMirror(IGrainFactory grains, string kind, TimeSpan pollInterval, Action changed, TimeProvider time, ILogger logger)
{
    private readonly Lock gate = new();
    private Dictionary<string, JsonObject> items = new(StringComparer.Ordinal);

    /// <summary>Whether the first list has arrived (until then the mirror is empty, not known to be empty).</summary>
    public bool Listed { get; private set; }

    public IReadOnlyList<JsonObject> Snapshot()
    {
        lock (gate)
        {
            return items.Values.ToList();
        }
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var collection = grains.GetGrain<IResourceCollectionGrain>(kind);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var list = await collection.List(new ListRequest());
                var fresh = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
                foreach (var json in list.Items)
                {
                    var item = JsonNode.Parse(json)!.AsObject();
                    fresh[Key(item)] = item;
                }

                lock (gate)
                {
                    items = fresh;
                }

                Listed = true;
                changed();
                var after = list.ResourceVersion;
                while (!stoppingToken.IsCancellationRequested)
                {
                    var batch = await collection.Poll(after, null, pollInterval);
                    if (batch.Gone)
                    {
                        break;
                    }

                    if (batch.Events.Count > 0)
                    {
                        lock (gate)
                        {
                            foreach (var change in batch.Events)
                            {
                                var key = change.Namespace + "/" + change.Name;
                                if (change.Type == WatchEventType.Deleted)
                                {
                                    items.Remove(key);
                                }
                                else
                                {
                                    items[key] = JsonNode.Parse(change.Json)!.AsObject();
                                }
                            }
                        }

                        changed();
                    }

                    after = batch.LatestResourceVersion;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The cluster may be starting or a silo moving: list again shortly.
                LogFollowFailed(ex, kind);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static string Key(JsonObject item) =>
        ((string?)item["metadata"]?["namespace"] ?? "") + "/" + (string?)item["metadata"]?["name"];

    [LoggerMessage(Level = LogLevel.Warning, Message = "The proxy's copy of {Kind} failed to follow; listing again")]
    private partial void LogFollowFailed(Exception ex, string kind);
}
