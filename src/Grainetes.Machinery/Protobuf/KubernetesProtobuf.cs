using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;

namespace Grainetes.Machinery.Protobuf;

/// <summary>
/// Reads request bodies in Kubernetes' protobuf wire form (<c>application/vnd.kubernetes.protobuf</c>):
/// the magic <c>k8s\0</c>, then a <c>runtime.Unknown</c> whose <c>raw</c> bytes are the object.
/// kubectl's generator commands (<c>create configmap</c>, <c>create deployment</c>, ...) send this form.
/// </summary>
public static class KubernetesProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    /// <summary>True for the protobuf media type, with or without parameters.</summary>
    public static bool IsProtobuf(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        var span = contentType.AsSpan();
        var semicolon = span.IndexOf(';');
        if (semicolon >= 0)
        {
            span = span[..semicolon];
        }

        return span.Trim().Equals(MediaType, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Decodes a protobuf body into the object's Kubernetes JSON form, with <c>apiVersion</c> and <c>kind</c>
    /// taken from the envelope. Throws 400 for malformed bytes and 415 for a kind with no schema here,
    /// which clients such as kubectl answer by retrying in JSON.
    /// </summary>
    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith(Magic))
        {
            throw ProtoReader.Malformed("the body does not start with the Kubernetes protobuf prefix k8s\\x00");
        }

        var apiVersion = string.Empty;
        var kind = string.Empty;
        var contentEncoding = string.Empty;
        ReadOnlySpan<byte> raw = default;

        var reader = new ProtoReader(body[Magic.Length..]);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            switch (number, wireType)
            {
                case (1, ProtoReader.LengthDelimited):
                    (apiVersion, kind) = ReadTypeMeta(reader.ReadLengthDelimited());
                    break;
                case (2, ProtoReader.LengthDelimited):
                    raw = reader.ReadLengthDelimited();
                    break;
                case (3, ProtoReader.LengthDelimited):
                    contentEncoding = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                    break;
                case (1 or 2 or 3 or 4, _) when wireType != ProtoReader.LengthDelimited:
                    throw ProtoReader.Malformed($"envelope field {number} has wire type {wireType}, expected 2");
                default:
                    // Field 4 (contentType) only restates the media type; later fields are unknown to us.
                    reader.Skip(wireType);
                    break;
            }
        }

        if (kind.Length == 0 || apiVersion.Length == 0)
        {
            throw ProtoReader.Malformed("the envelope has no apiVersion or kind");
        }

        if (contentEncoding.Length != 0)
        {
            throw Unsupported($"protobuf bodies with content encoding \"{contentEncoding}\" are not supported");
        }

        if (!KubernetesProtoSchema.TryGetKind(apiVersion, kind, out var message))
        {
            throw Unsupported($"the server cannot decode {kind} ({apiVersion}) from protobuf; send it as application/json");
        }

        var result = new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = kind,
        };
        ProtoJsonDecoder.DecodeInto(raw, message, result);
        return result;
    }

    private static (string ApiVersion, string Kind) ReadTypeMeta(ReadOnlySpan<byte> data)
    {
        var apiVersion = string.Empty;
        var kind = string.Empty;
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            switch (number, wireType)
            {
                case (1, ProtoReader.LengthDelimited):
                    apiVersion = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                    break;
                case (2, ProtoReader.LengthDelimited):
                    kind = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return (apiVersion, kind);
    }

    private static ApiException Unsupported(string message) => new(415, "UnsupportedMediaType", message);
}
