using System.Collections.Frozen;

namespace Grainetes.Machinery.Protobuf;

/// <summary>A Kubernetes protobuf message: its fields keyed by number, so unknown numbers can be skipped.</summary>
public sealed class ProtoMessage
{
    public ProtoMessage(string name, IEnumerable<ProtoField> fields)
    {
        Name = name;
        Fields = fields.ToFrozenDictionary(f => f.Number);
    }

    public string Name { get; }

    public FrozenDictionary<int, ProtoField> Fields { get; }
}
