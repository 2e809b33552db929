using System.Security.Cryptography;

namespace Grainetes.Grains.Controllers;

/// <summary>The API server's generateName, done by the controllers so they know the name before the create returns.</summary>
internal static class GeneratedNames
{
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>Kubernetes trims the base so the random suffix still fits a 63-character name.</summary>
    public static string Prefix(string baseName) => baseName.Length > 57 ? baseName[..57] + "-" : baseName + "-";

    public static string Next(string prefix) => prefix + RandomNumberGenerator.GetString(Alphabet, 5);
}
