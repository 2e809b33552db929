namespace Grainetes.Machinery.Protobuf;

/// <summary>One field of a Kubernetes protobuf message and the JSON property it becomes.</summary>
/// <param name="Number">Protobuf field number.</param>
/// <param name="JsonName">Property name in the JSON form; empty for <see cref="ProtoFieldOptions.Inline"/> fields.</param>
/// <param name="Kind">Value kind (of each element, for lists and maps).</param>
/// <param name="MessageType">Schema message name when <paramref name="Kind"/> is <see cref="ProtoKind.Message"/>.</param>
/// <param name="Options">Cardinality and omission rules.</param>
public sealed record ProtoField(int Number, string JsonName, ProtoKind Kind, string? MessageType, ProtoFieldOptions Options)
{
    public bool IsRepeated => (Options & ProtoFieldOptions.Repeated) != 0;

    public bool IsMap => (Options & ProtoFieldOptions.Map) != 0;

    public bool OmitZero => (Options & ProtoFieldOptions.OmitZero) != 0;

    public bool IsInline => (Options & ProtoFieldOptions.Inline) != 0;
}
