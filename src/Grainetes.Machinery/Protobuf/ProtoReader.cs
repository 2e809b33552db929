using System.Buffers.Binary;
using Grainetes.Machinery.Errors;

namespace Grainetes.Machinery.Protobuf;

/// <summary>Reads protobuf wire primitives from a span; anything malformed is the client's fault (400).</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> data = data;
    private int position;

    public readonly bool End => position >= data.Length;

    public (int Number, int WireType) ReadTag()
    {
        var tag = ReadVarint();
        var number = tag >> 3;
        if (number == 0 || number > 536_870_911)
        {
            throw Malformed($"invalid field number {number}");
        }

        return ((int)number, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= data.Length)
            {
                throw Malformed("truncated varint");
            }

            var b = data[position++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw Malformed("varint longer than 10 bytes");
    }

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > (ulong)(data.Length - position))
        {
            throw Malformed($"length {length} runs past the end of the message");
        }

        var slice = data.Slice(position, (int)length);
        position += (int)length;
        return slice;
    }

    public ulong ReadFixed64()
    {
        if (data.Length - position < 8)
        {
            throw Malformed("truncated fixed64");
        }

        var value = BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(position, 8));
        position += 8;
        return value;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                ReadFixed64();
                break;
            case LengthDelimited:
                ReadLengthDelimited();
                break;
            case Fixed32:
                if (data.Length - position < 4)
                {
                    throw Malformed("truncated fixed32");
                }

                position += 4;
                break;
            default:
                // Groups (3, 4) never appear in Kubernetes messages; 6 and 7 are not wire types at all.
                throw Malformed($"unsupported wire type {wireType}");
        }
    }

    public static ApiException Malformed(string detail) =>
        ApiException.BadRequest("the request body could not be decoded as protobuf: " + detail);
}
