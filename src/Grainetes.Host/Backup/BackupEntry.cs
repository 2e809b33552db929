namespace Grainetes.Host.Backup;

/// <summary>One object in a backup's body, one JSON line each.</summary>
/// <param name="Kind">Storage key of the object's kind.</param>
/// <param name="Namespace">Empty for cluster-scoped kinds.</param>
/// <param name="Object">The object's JSON; for a Secret sealed (AES-GCM) with the cluster's key, as it is at rest.</param>
public sealed record BackupEntry(string Kind, string Namespace, string Name, long ResourceVersion, string Object);
