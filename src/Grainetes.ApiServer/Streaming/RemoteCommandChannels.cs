using System.Text.Json;
using Grainetes.Abstractions.Streaming;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// The channel protocol of exec and attach (<c>v4.channel.k8s.io</c>, <c>v5.channel.k8s.io</c>): every binary
/// WebSocket message starts with the channel's number; v5 adds a close message, <c>[255, channel]</c>.
/// </summary>
public static class RemoteCommandChannels
{
    public const byte Stdin = 0;
    public const byte Stdout = 1;
    public const byte Stderr = 2;
    public const byte Error = 3;
    public const byte Resize = 4;
    public const byte Close = 255;

    /// <summary>The best protocol both sides speak (v5, then v4), or null.</summary>
    public static string? Negotiate(IEnumerable<string> offered)
    {
        var set = offered.ToHashSet(StringComparer.Ordinal);
        return set.Contains(StreamProtocols.ChannelV5) ? StreamProtocols.ChannelV5
            : set.Contains(StreamProtocols.ChannelV4) ? StreamProtocols.ChannelV4
            : null;
    }

    /// <summary>A message: the channel byte, then the data.</summary>
    public static byte[] Frame(byte channel, ReadOnlySpan<byte> data)
    {
        var frame = new byte[data.Length + 1];
        frame[0] = channel;
        data.CopyTo(frame.AsSpan(1));
        return frame;
    }

    /// <summary>
    /// The resize channel's payload, <c>{"Width":80,"Height":24}</c>; null when it is not one. Several may arrive
    /// in one message (JSON values one after another); the last counts.
    /// </summary>
    public static TerminalSize? ParseResize(ReadOnlySpan<byte> json)
    {
        TerminalSize? last = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return last;
                }

                using var document = JsonDocument.ParseValue(ref reader);
                var root = document.RootElement;
                last = new TerminalSize(Dimension(root, "Width"), Dimension(root, "Height"));
            }
        }
        catch (JsonException)
        {
            return last;
        }

        return last;
    }

    private static ushort Dimension(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.TryGetInt32(out var n) ? (ushort)Math.Clamp(n, 0, ushort.MaxValue) : (ushort)0;
}
