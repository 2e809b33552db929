using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Discovery;

/// <summary>A JSON document serialized once, with its SHA-256 (lower-case hex) for ETags and <c>?hash=</c> links.</summary>
public sealed class CachedDocument
{
    private readonly byte[] utf8;

    public CachedDocument(JsonNode document)
    {
        utf8 = JsonSerializer.SerializeToUtf8Bytes(document);
        Hash = Convert.ToHexStringLower(SHA256.HashData(utf8));
    }

    /// <summary>The serialized document; shared, so callers must not mutate it.</summary>
    public ReadOnlyMemory<byte> Utf8Json => utf8;

    public string Hash { get; }

    /// <summary>A strong ETag value, quoted as HTTP requires.</summary>
    public string ETag => $"\"{Hash}\"";

    /// <summary>A fresh, mutable copy of the document.</summary>
    public JsonObject ToJsonObject() => JsonNode.Parse(utf8)!.AsObject();
}
