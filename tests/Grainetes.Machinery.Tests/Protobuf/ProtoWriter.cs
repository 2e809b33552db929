using System.Text;

namespace Grainetes.Machinery.Tests.Protobuf;

/// <summary>Test-only protobuf encoder: builds bodies field by field, the way gogo-protobuf would.</summary>
internal sealed class ProtoWriter
{
    private readonly List<byte> bytes = [];

    public static byte[] Envelope(string apiVersion, string kind, Action<ProtoWriter> build) =>
        Envelope(apiVersion, kind, new ProtoWriter().Apply(build).ToArray());

    public static byte[] Envelope(string apiVersion, string kind, byte[] raw)
    {
        var unknown = new ProtoWriter()
            .Message(1, t => t.String(1, apiVersion).String(2, kind))
            .Bytes(2, raw)
            .String(3, string.Empty)
            .String(4, string.Empty);
        return [.. "k8s\0"u8.ToArray(), .. unknown.ToArray()];
    }

    public ProtoWriter Apply(Action<ProtoWriter> build)
    {
        build(this);
        return this;
    }

    public ProtoWriter Int(int field, long value)
    {
        Tag(field, 0);
        WriteVarint(unchecked((ulong)value));
        return this;
    }

    public ProtoWriter Bool(int field, bool value) => Int(field, value ? 1 : 0);

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, byte[] value)
    {
        Tag(field, 2);
        WriteVarint((ulong)value.Length);
        bytes.AddRange(value);
        return this;
    }

    public ProtoWriter Double(int field, double value)
    {
        Tag(field, 1);
        bytes.AddRange(BitConverter.GetBytes(value));
        return this;
    }

    public ProtoWriter Message(int field, Action<ProtoWriter> build) =>
        Bytes(field, new ProtoWriter().Apply(build).ToArray());

    public ProtoWriter MapEntry(int field, string key, string value) =>
        Message(field, e => e.String(1, key).String(2, value));

    public ProtoWriter MapEntry(int field, string key, Action<ProtoWriter> value) =>
        Message(field, e => e.String(1, key).Message(2, value));

    public ProtoWriter Packed(int field, params long[] values)
    {
        var inner = new ProtoWriter();
        foreach (var value in values)
        {
            inner.WriteVarint(unchecked((ulong)value));
        }

        return Bytes(field, inner.ToArray());
    }

    /// <summary>Appends bytes verbatim, for deliberately broken input.</summary>
    public ProtoWriter Raw(params byte[] value)
    {
        bytes.AddRange(value);
        return this;
    }

    public byte[] ToArray() => [.. bytes];

    private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
    }
}
