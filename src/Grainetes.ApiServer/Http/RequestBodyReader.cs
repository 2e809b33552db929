using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using YamlDotNet.Serialization;

namespace Grainetes.ApiServer.Http;

/// <summary>Reads a request body (JSON or YAML) within the size limit into a JSON tree.</summary>
public sealed class RequestBodyReader(IOptions<ApiServerOptions> options)
{
    private readonly IDeserializer yaml = new DeserializerBuilder()
        .WithAttemptingUnquotedStringTypeDeserialization()
        .Build();

    /// <summary>Reads and decodes a body: Kubernetes protobuf (what kubectl's generators send), JSON or YAML.</summary>
    public async Task<JsonNode> ReadNodeAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var bytes = await ReadBytesAsync(request, cancellationToken);
        if (KubernetesProtobuf.IsProtobuf(request.ContentType))
        {
            return KubernetesProtobuf.Decode(bytes.Span);
        }

        return Parse(Encoding.UTF8.GetString(bytes.Span), request.ContentType);
    }

    private async Task<ReadOnlyMemory<byte>> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxBodyBytes;
        if (request.ContentLength > limit)
        {
            throw ApiException.TooLarge(limit);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw ApiException.TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw ApiException.BadRequest("the request body is empty");
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>Parses a body as JSON, or as YAML when the content type says so (or it does not look like JSON).</summary>
    public JsonNode Parse(string text, string? contentType)
    {

        var trimmed = text.AsSpan().TrimStart();
        var looksJson = trimmed.Length > 0 && (trimmed[0] == '{' || trimmed[0] == '[');
        var isYaml = contentType is not null && contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase);
        if (looksJson || !isYaml)
        {
            try
            {
                return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 256, AllowDuplicateProperties = false })
                    ?? throw ApiException.BadRequest("the request body is null");
            }
            catch (JsonException ex) when (!isYaml)
            {
                throw ApiException.BadRequest("the request body could not be decoded as JSON: " + ex.Message);
            }
            catch (JsonException)
            {
                // YAML that happens to start with a brace: fall through to the YAML reader.
            }
        }

        YamlDepthGuard.Check(text, MaxDepth);
        try
        {
            var graph = yaml.Deserialize<object?>(text);
            var budget = new NodeBudget();
            return ToJson(graph, 0, budget) ?? throw ApiException.BadRequest("the request body is empty");
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw ApiException.BadRequest("the request body could not be decoded as YAML: " + ex.Message);
        }
    }

    private const int MaxDepth = 256;

    /// <summary>
    /// More nodes than a body of the largest accepted size can spell out in JSON: beyond it, aliases are being
    /// expanded into a "billion laughs" bomb.
    /// </summary>
    private const int MaxNodes = 1_000_000;

    private static JsonNode? ToJson(object? value, int depth, NodeBudget budget)
    {
        if (depth > MaxDepth)
        {
            throw ApiException.BadRequest("the request body is nested too deeply");
        }

        if (++budget.Nodes > MaxNodes)
        {
            throw ApiException.BadRequest("the request body could not be decoded as YAML: aliases expand to too many nodes");
        }

        return value switch
        {
            null => null,
            IDictionary<object, object?> map => new JsonObject(map.Select(p => KeyValuePair.Create(Convert.ToString(p.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "", ToJson(p.Value, depth + 1, budget)))),
            IList<object?> list => new JsonArray(list.Select(v => ToJson(v, depth + 1, budget)).ToArray()),
            string s => JsonValue.Create(s),
            bool b => JsonValue.Create(b),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            double d => JsonValue.Create(d),
            float f => JsonValue.Create(f),
            decimal m => JsonValue.Create(m),
            _ => JsonValue.Create(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)),
        };
    }

    private sealed class NodeBudget
    {
        public int Nodes { get; set; }
    }
}
