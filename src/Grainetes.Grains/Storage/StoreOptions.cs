namespace Grainetes.Grains.Storage;

/// <summary>Where and how the object store keeps its change log, index and sequences. Bound from the <c>Store</c> section.</summary>
public sealed class StoreOptions
{
    public const string SectionName = "Store";

    /// <summary>Azure Table Storage connection string (Azurite's in a local setup).</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Prefix for every table the store creates, so several clusters can share an account.</summary>
    public string TablePrefix { get; set; } = "Grainetes";

    /// <summary>Events a kind keeps in memory for watches; older ones are read from the durable log.</summary>
    public int MemoryEvents { get; set; } = 20_000;

    /// <summary>Bytes of object JSON a kind keeps in memory for watches, whichever of the two bounds comes first.</summary>
    public long MemoryEventBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Events a kind keeps in the durable log; a watch from an older version gets 410 Gone.</summary>
    public int RetainedEvents { get; set; } = 200_000;

    /// <summary>Resource versions reserved per durable write of a kind's sequence.</summary>
    public int SequenceBlock { get; set; } = 10_000;

    /// <summary>How long a list snapshot behind a continue token is kept.</summary>
    public TimeSpan ContinueTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Base64 of the 32-byte AES key that seals Secrets at rest; empty stores them in the clear. Every silo of a
    /// cluster needs the same key.
    /// </summary>
    public string? SecretsEncryptionKey { get; set; }
}
