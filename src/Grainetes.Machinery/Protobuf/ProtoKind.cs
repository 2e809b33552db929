namespace Grainetes.Machinery.Protobuf;

/// <summary>How one protobuf field's value is read off the wire and written as Kubernetes JSON.</summary>
public enum ProtoKind
{
    String,
    Int32,
    Int64,
    Bool,

    /// <summary>Written as base64, as Go's encoding/json does for <c>[]byte</c>.</summary>
    Bytes,

    Double,

    /// <summary>A nested message described by <see cref="ProtoField.MessageType"/>.</summary>
    Message,

    /// <summary>meta/v1 Time (<c>{1 seconds, 2 nanos}</c>): an RFC 3339 string, or null when the message is empty.</summary>
    Time,

    /// <summary>resource.Quantity (<c>{1 string}</c>): its canonical string.</summary>
    Quantity,

    /// <summary>util/intstr IntOrString (<c>{1 type, 2 intVal, 3 strVal}</c>): a JSON number or string.</summary>
    IntOrString,

    /// <summary>FieldsV1 or RawExtension (<c>{1 raw bytes}</c>) whose bytes are already JSON.</summary>
    RawJson,
}
