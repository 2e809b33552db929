namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>Control frame types and flags of SPDY/3.</summary>
public static class SpdyFrameType
{
    public const ushort Version = 3;

    public const ushort SynStream = 1;
    public const ushort SynReply = 2;
    public const ushort RstStream = 3;
    public const ushort Settings = 4;
    public const ushort Ping = 6;
    public const ushort GoAway = 7;
    public const ushort Headers = 8;
    public const ushort WindowUpdate = 9;

    /// <summary>FLAG_FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS.</summary>
    public const byte FlagFin = 0x01;

    /// <summary>FLAG_UNIDIRECTIONAL on SYN_STREAM.</summary>
    public const byte FlagUnidirectional = 0x02;

    /// <summary>The largest payload a frame's 24-bit length can state.</summary>
    public const int MaxLength = (1 << 24) - 1;
}
