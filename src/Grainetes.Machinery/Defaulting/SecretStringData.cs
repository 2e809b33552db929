using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;

namespace Grainetes.Machinery.Defaulting;

/// <summary>
/// What Kubernetes' API server does to a Secret's <c>stringData</c> when it reads one in: each value is encoded
/// (UTF-8, base64) into <c>data</c> under the same key, overriding a value already there, and <c>stringData</c> itself
/// is never stored or returned. Every write (create, update, every patch type, server-side apply) passes through
/// here before validation, so what is validated, stored and encrypted at rest is the folded <c>data</c>. Values of
/// <c>data</c> are decoded here too, as Kubernetes' decoder does: one that is not base64 fails the request with 400.
/// </summary>
public static class SecretStringData
{
    public static void Fold(JsonObject secret)
    {
        if (secret["data"] is { } dataNode && dataNode is not JsonObject)
        {
            throw Undecodable("data must be an object of base64 strings");
        }

        var data = secret["data"] as JsonObject ?? new JsonObject();
        foreach (var (key, value) in data.ToList())
        {
            // Re-encoded canonically, as Kubernetes returns the bytes it decoded (line breaks and the like are gone).
            data[key] = Convert.ToBase64String(Decode(key, value));
        }

        if (secret["stringData"] is { } stringNode)
        {
            if (stringNode is not JsonObject stringData)
            {
                throw Undecodable("stringData must be an object of strings");
            }

            foreach (var (key, value) in stringData)
            {
                var text = value switch
                {
                    null => "",
                    JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                    _ => throw Undecodable($"stringData[{key}] must be a string"),
                };
                data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
            }

            secret.Remove("stringData");
        }

        if (data.Count > 0 || secret.ContainsKey("data"))
        {
            secret["data"] = data;
        }
    }

    private static byte[] Decode(string key, JsonNode? value)
    {
        if (value is null)
        {
            return [];
        }

        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            throw Undecodable($"data[{key}] must be a base64 string");
        }

        // Go's decoder skips line breaks inside base64; .NET skips every white space character, which is as lenient.
        var text = v.GetValue<string>();
        var bytes = new byte[(text.Length / 4 * 3) + 3];
        return Convert.TryFromBase64String(text, bytes, out var written)
            ? bytes[..written]
            : throw Undecodable($"illegal base64 data in data[{key}]");
    }

    private static ApiException Undecodable(string detail) =>
        ApiException.BadRequest($"Secret in version \"v1\" cannot be handled as a Secret: {detail}");
}
