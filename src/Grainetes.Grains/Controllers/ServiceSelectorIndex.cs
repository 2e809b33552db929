using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Services;
using Grainetes.Machinery.Selectors;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// The controller manager's memory of which services select which pods, so a pod change wakes only the
/// services it matches now or matched before (a relabelled or deleted pod must leave their endpoints) without
/// listing services on every change. Fed by the services' change log; nothing here is durable.
/// </summary>
internal sealed class ServiceSelectorIndex
{
    private readonly Dictionary<string, Dictionary<string, Entry>> byNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> lastMatched = new(StringComparer.Ordinal);

    /// <summary>Starts over from a list of every service.</summary>
    public void Load(IEnumerable<JsonObject> services)
    {
        byNamespace.Clear();
        lastMatched.Clear();
        foreach (var svc in services)
        {
            Set(Str(svc["metadata"]?["namespace"]) ?? "", Name(svc), new Entry(Version(svc), ServiceSpecs.Selector(svc)));
        }
    }

    /// <summary>Takes in a service change; one older than what is known (the list at load saw it) changes nothing.</summary>
    public void Apply(ChangeEvent change, JsonObject svc)
    {
        var known = byNamespace.GetValueOrDefault(change.Namespace)?.GetValueOrDefault(change.Name);
        if (known is not null && known.Version >= change.ResourceVersion)
        {
            return;
        }

        if (change.Type == WatchEventType.Deleted)
        {
            byNamespace.GetValueOrDefault(change.Namespace)?.Remove(change.Name);
            return;
        }

        Set(change.Namespace, change.Name, new Entry(change.ResourceVersion, ServiceSpecs.Selector(svc)));
    }

    /// <summary>The services (<c>namespace/name</c>) a pod change concerns: those it matches now and those it matched before.</summary>
    public IEnumerable<string> ServicesFor(ChangeEvent change, JsonObject pod)
    {
        var podKey = change.Namespace + "/" + change.Name;
        var now = new HashSet<string>(StringComparer.Ordinal);
        if (change.Type != WatchEventType.Deleted && byNamespace.TryGetValue(change.Namespace, out var services))
        {
            var labels = LabelSelector.LabelsOf(pod);
            foreach (var (name, entry) in services)
            {
                if (entry.Selector is { } selector && ServiceSpecs.Matches(selector, labels))
                {
                    now.Add(change.Namespace + "/" + name);
                }
            }
        }

        var before = lastMatched.GetValueOrDefault(podKey);
        if (now.Count > 0)
        {
            lastMatched[podKey] = now;
        }
        else
        {
            lastMatched.Remove(podKey);
        }

        return before is null ? now : now.Union(before, StringComparer.Ordinal);
    }

    private void Set(string ns, string name, Entry entry)
    {
        if (!byNamespace.TryGetValue(ns, out var services))
        {
            services = new Dictionary<string, Entry>(StringComparer.Ordinal);
            byNamespace[ns] = services;
        }

        services[name] = entry;
    }

    private static long Version(JsonObject obj) =>
        long.TryParse(Str(obj["metadata"]?["resourceVersion"]), System.Globalization.CultureInfo.InvariantCulture, out var rv) ? rv : 0;

    private sealed record Entry(long Version, IReadOnlyDictionary<string, string>? Selector);
}
