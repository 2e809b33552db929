using System.Text;

namespace Grainetes.Benchmarks;

/// <summary>Random printable text, so neither HTTP nor storage gets compressible or cached payloads.</summary>
public static class Payload
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";

    // A fixed seed keeps runs comparable; the text only has to be incompressible, not unpredictable.
    private static readonly Random Random = new(20240611);

    public static string Text(int length)
    {
        var builder = new StringBuilder(length);
        lock (Random)
        {
            for (var i = 0; i < length; i++)
            {
                builder.Append(Alphabet[Random.Next(Alphabet.Length)]);
            }
        }

        return builder.ToString();
    }

    public static int Next(int maxExclusive)
    {
        lock (Random)
        {
            return Random.Next(maxExclusive);
        }
    }
}
