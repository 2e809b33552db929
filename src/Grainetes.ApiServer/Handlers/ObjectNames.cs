using System.Security.Cryptography;

namespace Grainetes.ApiServer.Handlers;

/// <summary>Names made for <c>generateName</c>: the prefix plus five characters from Kubernetes' alphabet.</summary>
internal static class ObjectNames
{
    // Kubernetes leaves out vowels and look-alikes so generated names never spell words.
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Generate(string prefix)
    {
        if (prefix.Length > 58)
        {
            prefix = prefix[..58];
        }

        Span<char> suffix = stackalloc char[5];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return prefix + new string(suffix);
    }
}
