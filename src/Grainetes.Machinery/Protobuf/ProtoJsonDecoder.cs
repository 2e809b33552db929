using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Protobuf;

/// <summary>Turns protobuf message bytes into the JSON Go's encoding/json would write for the same struct.</summary>
internal static class ProtoJsonDecoder
{
    // Kubernetes objects nest a few dozen levels at most; the cap keeps hostile input off the stack limit.
    private const int MaxDepth = 64;

    // Go's metav1.Time serialises whole seconds, UTC, RFC 3339.
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    private static readonly long MinUnixSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    public static void DecodeInto(ReadOnlySpan<byte> data, ProtoMessage message, JsonObject target, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw ProtoReader.Malformed("messages nested too deeply");
        }

        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            if (!message.Fields.TryGetValue(number, out var field))
            {
                // Newer senders may add fields; protobuf's contract is to skip what we do not know.
                reader.Skip(wireType);
                continue;
            }

            if (field.IsMap)
            {
                ExpectWireType(field, message, wireType, ProtoReader.LengthDelimited);
                var (key, value) = ReadMapEntry(reader.ReadLengthDelimited(), field, message, depth);
                var map = GetOrAdd(target, field.JsonName, static () => new JsonObject());
                map[key] = value;
            }
            else if (field.IsRepeated)
            {
                var list = GetOrAdd(target, field.JsonName, static () => new JsonArray());
                if (wireType == ProtoReader.LengthDelimited && IsPackable(field.Kind))
                {
                    var packed = new ProtoReader(reader.ReadLengthDelimited());
                    while (!packed.End)
                    {
                        list.Add(ReadValue(ref packed, ScalarWireType(field.Kind), field, message, depth).Value);
                    }
                }
                else
                {
                    list.Add(ReadValue(ref reader, wireType, field, message, depth).Value);
                }

                // A packed run of zero elements must not leave an empty list behind.
                if (list.Count == 0)
                {
                    target.Remove(field.JsonName);
                }
            }
            else if (field.Kind == ProtoKind.Message)
            {
                ExpectWireType(field, message, wireType, ProtoReader.LengthDelimited);
                var nested = KubernetesProtoSchema.GetMessage(field.MessageType!);
                // Inline structs flatten into the parent; a repeated occurrence of a message merges, as in protobuf.
                var into = field.IsInline ? target : GetOrAdd(target, field.JsonName, static () => new JsonObject());
                DecodeInto(reader.ReadLengthDelimited(), nested, into, depth + 1);
            }
            else
            {
                var (value, isZero) = ReadValue(ref reader, wireType, field, message, depth);
                if (isZero && field.OmitZero)
                {
                    target.Remove(field.JsonName);
                }
                else
                {
                    target[field.JsonName] = value;
                }
            }
        }
    }

    private static (JsonNode? Value, bool IsZero) ReadValue(ref ProtoReader reader, int wireType, ProtoField field, ProtoMessage message, int depth)
    {
        ExpectWireType(field, message, wireType, ScalarWireType(field.Kind));
        switch (field.Kind)
        {
            case ProtoKind.String:
            {
                var text = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                return (JsonValue.Create(text), text.Length == 0);
            }

            case ProtoKind.Int32:
            {
                // Negative int32s travel as ten-byte sign-extended varints; truncation recovers them.
                var number = unchecked((int)reader.ReadVarint());
                return (JsonValue.Create(number), number == 0);
            }

            case ProtoKind.Int64:
            {
                var number = unchecked((long)reader.ReadVarint());
                return (JsonValue.Create(number), number == 0);
            }

            case ProtoKind.Bool:
            {
                var flag = reader.ReadVarint() != 0;
                return (JsonValue.Create(flag), !flag);
            }

            case ProtoKind.Double:
            {
                var number = BitConverter.Int64BitsToDouble(unchecked((long)reader.ReadFixed64()));
                if (!double.IsFinite(number))
                {
                    throw ProtoReader.Malformed($"field {Describe(field, message)} is not a finite number");
                }

                return (JsonValue.Create(number), number == 0);
            }

            case ProtoKind.Bytes:
            {
                var bytes = reader.ReadLengthDelimited();
                return (JsonValue.Create(Convert.ToBase64String(bytes)), bytes.IsEmpty);
            }

            case ProtoKind.Time:
                return (ReadTime(reader.ReadLengthDelimited(), field, message), false);

            case ProtoKind.Quantity:
                return (JsonValue.Create(ReadQuantity(reader.ReadLengthDelimited())), false);

            case ProtoKind.IntOrString:
                return (ReadIntOrString(reader.ReadLengthDelimited()), false);

            case ProtoKind.RawJson:
                return (ReadRawJson(reader.ReadLengthDelimited(), field, message), false);

            case ProtoKind.Message:
            {
                var nested = new JsonObject();
                DecodeInto(reader.ReadLengthDelimited(), KubernetesProtoSchema.GetMessage(field.MessageType!), nested, depth + 1);
                return (nested, false);
            }

            default:
                throw new InvalidOperationException($"unhandled kind {field.Kind}");
        }
    }

    private static (string Key, JsonNode? Value) ReadMapEntry(ReadOnlySpan<byte> entry, ProtoField field, ProtoMessage message, int depth)
    {
        var key = string.Empty;
        JsonNode? value = null;
        var hasValue = false;
        var reader = new ProtoReader(entry);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1)
            {
                if (wireType != ProtoReader.LengthDelimited)
                {
                    throw ProtoReader.Malformed($"map key of {Describe(field, message)} has wire type {wireType}");
                }

                key = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
            }
            else if (number == 2)
            {
                value = ReadValue(ref reader, wireType, field, message, depth).Value;
                hasValue = true;
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        // An entry without a value means the zero value, as Go's generated code assumes.
        return (key, hasValue ? value : ZeroValue(field));
    }

    private static JsonNode? ZeroValue(ProtoField field) => field.Kind switch
    {
        ProtoKind.String or ProtoKind.Bytes => JsonValue.Create(string.Empty),
        ProtoKind.Int32 or ProtoKind.Int64 or ProtoKind.IntOrString => JsonValue.Create(0),
        ProtoKind.Double => JsonValue.Create(0.0),
        ProtoKind.Bool => JsonValue.Create(false),
        ProtoKind.Quantity => JsonValue.Create("0"),
        ProtoKind.Message => new JsonObject(),
        _ => null,
    };

    private static JsonNode? ReadTime(ReadOnlySpan<byte> data, ProtoField field, ProtoMessage message)
    {
        // Go writes nothing for the zero Time and reads an empty message back as zero, which JSON spells null.
        if (data.IsEmpty)
        {
            return null;
        }

        long seconds = 0;
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1 && wireType == ProtoReader.Varint)
            {
                seconds = unchecked((long)reader.ReadVarint());
            }
            else
            {
                // Nanos (2) are dropped: the JSON form has whole seconds only.
                reader.Skip(wireType);
            }
        }

        if (seconds < MinUnixSeconds || seconds > MaxUnixSeconds)
        {
            throw ProtoReader.Malformed($"field {Describe(field, message)} holds an out-of-range time");
        }

        return JsonValue.Create(DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
    }

    private static string ReadQuantity(ReadOnlySpan<byte> data)
    {
        var text = "0";
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1 && wireType == ProtoReader.LengthDelimited)
            {
                text = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return text.Length == 0 ? "0" : text;
    }

    private static JsonNode ReadIntOrString(ReadOnlySpan<byte> data)
    {
        long type = 0;
        var intValue = 0;
        var stringValue = string.Empty;
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            switch (number, wireType)
            {
                case (1, ProtoReader.Varint):
                    type = unchecked((long)reader.ReadVarint());
                    break;
                case (2, ProtoReader.Varint):
                    intValue = unchecked((int)reader.ReadVarint());
                    break;
                case (3, ProtoReader.LengthDelimited):
                    stringValue = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        // Type 1 is intstr.String; anything else marshals as the integer, as Go does.
        return type == 1 ? JsonValue.Create(stringValue) : JsonValue.Create(intValue);
    }

    private static JsonNode? ReadRawJson(ReadOnlySpan<byte> data, ProtoField field, ProtoMessage message)
    {
        ReadOnlySpan<byte> raw = default;
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1 && wireType == ProtoReader.LengthDelimited)
            {
                raw = reader.ReadLengthDelimited();
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        if (raw.IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(raw, documentOptions: new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw ProtoReader.Malformed($"field {Describe(field, message)} does not hold JSON: {ex.Message}");
        }
    }

    private static void ExpectWireType(ProtoField field, ProtoMessage message, int actual, int expected)
    {
        if (actual != expected)
        {
            throw ProtoReader.Malformed($"field {Describe(field, message)} has wire type {actual}, expected {expected}");
        }
    }

    private static int ScalarWireType(ProtoKind kind) => kind switch
    {
        ProtoKind.Int32 or ProtoKind.Int64 or ProtoKind.Bool => ProtoReader.Varint,
        ProtoKind.Double => ProtoReader.Fixed64,
        _ => ProtoReader.LengthDelimited,
    };

    private static bool IsPackable(ProtoKind kind) => ScalarWireType(kind) != ProtoReader.LengthDelimited;

    private static T GetOrAdd<T>(JsonObject target, string name, Func<T> create)
        where T : JsonNode
    {
        if (target[name] is T existing)
        {
            return existing;
        }

        var created = create();
        target[name] = created;
        return created;
    }

    private static string Describe(ProtoField field, ProtoMessage message) =>
        $"{message.Name}.{(field.JsonName.Length == 0 ? "#" + field.Number : field.JsonName)} ({field.Number})";
}
