using System.Text;
using System.Text.Json.Nodes;
using static Grainetes.NodeAgent.Kubelet.PodJson;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>
/// Computes the files of a <c>secret</c>, <c>configMap</c> or <c>projected</c> volume as the kubelet does: every key
/// (or only the listed <c>items</c>, at their paths), with <c>mode</c> over <c>defaultMode</c> over 0644. Objects are
/// read through the host, so Secrets arrive decrypted. A missing object or key is a <see cref="VolumeMountException"/>
/// unless the source is optional. Of a projected volume's sources only Secrets and ConfigMaps are written.
/// </summary>
internal sealed class VolumeProjector(IPodHost host, string @namespace)
{
    private const int DefaultMode = 0b110_100_100;

    /// <summary>Whether the kubelet writes this volume's files itself.</summary>
    public static bool IsFileVolume(JsonObject volume) =>
        Node(volume, "secret") is JsonObject || Node(volume, "configMap") is JsonObject || Node(volume, "projected") is JsonObject;

    /// <summary>Whether the volume holds Secret data (its directory then keeps other users out).</summary>
    public static bool HoldsSecrets(JsonObject volume) =>
        Node(volume, "secret") is JsonObject || Objects(volume, "projected", "sources").Any(s => Node(s, "secret") is JsonObject);

    public async Task<Dictionary<string, FileProjection>> ProjectAsync(JsonObject volume, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        if (Node(volume, "secret") is JsonObject secret)
        {
            await AddSourceAsync(files, "secrets", Str(secret, "secretName") ?? "", secret, Mode(Int(secret, "defaultMode")), cancellationToken);
        }
        else if (Node(volume, "configMap") is JsonObject configMap)
        {
            await AddSourceAsync(files, "configmaps", Str(configMap, "name") ?? "", configMap, Mode(Int(configMap, "defaultMode")), cancellationToken);
        }
        else if (Node(volume, "projected") is JsonObject projected)
        {
            var mode = Mode(Int(projected, "defaultMode"));
            foreach (var source in Objects(projected, "sources"))
            {
                if (Node(source, "secret") is JsonObject s)
                {
                    await AddSourceAsync(files, "secrets", Str(s, "name") ?? "", s, mode, cancellationToken);
                }
                else if (Node(source, "configMap") is JsonObject c)
                {
                    await AddSourceAsync(files, "configmaps", Str(c, "name") ?? "", c, mode, cancellationToken);
                }
            }
        }

        return files;
    }

    private async Task AddSourceAsync(
        Dictionary<string, FileProjection> files, string resource, string name, JsonObject source, UnixFileMode defaultMode, CancellationToken cancellationToken)
    {
        var optional = Bool(source, "optional");
        var obj = await host.GetObjectAsync(resource, @namespace, name, cancellationToken);
        if (obj is null)
        {
            if (optional) return;
            throw new VolumeMountException($"{(resource == "secrets" ? "secret" : "configmap")} \"{name}\" not found");
        }

        Dictionary<string, byte[]> entries;
        try
        {
            entries = ConfigDataEntries.Read(resource, obj);
        }
        catch (FormatException)
        {
            throw new VolumeMountException("data is not valid base64");
        }

        var items = Objects(source, "items").ToList();
        if (items.Count == 0)
        {
            foreach (var (key, data) in entries)
            {
                AtomicWriter.Validate(key);
                files[key] = new FileProjection(data, defaultMode);
            }

            return;
        }

        foreach (var item in items)
        {
            var key = Str(item, "key") ?? "";
            if (!entries.TryGetValue(key, out var data))
            {
                if (optional) continue;
                throw new VolumeMountException(resource == "secrets"
                    ? $"references non-existent secret key: {key}"
                    : $"configmap references non-existent config key: {key}");
            }

            var path = Str(item, "path") ?? key;
            AtomicWriter.Validate(path);
            files[path] = new FileProjection(data, Int(item, "mode") is { } mode ? Mode(mode) : defaultMode);
        }
    }

    private static UnixFileMode Mode(long? mode) => (UnixFileMode)((mode ?? DefaultMode) & 0b111_111_111);
}
