namespace Grainetes.Machinery.Protobuf;

/// <summary>Cardinality and Go-to-JSON quirks of one field.</summary>
[Flags]
public enum ProtoFieldOptions
{
    None = 0,

    /// <summary>A list; scalar lists may arrive packed or one element per tag.</summary>
    Repeated = 1,

    /// <summary>A <c>map&lt;string, kind&gt;</c>, sent as repeated <c>{1 key, 2 value}</c> entries.</summary>
    Map = 2,

    /// <summary>
    /// Go value (non-pointer) scalar tagged <c>omitempty</c>: gogo-protobuf writes it even when zero,
    /// but the JSON form omits it, so a zero on the wire means "unset".
    /// </summary>
    OmitZero = 4,

    /// <summary>Embedded Go struct whose fields JSON flattens into the parent object.</summary>
    Inline = 8,
}
