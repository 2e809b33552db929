using System.Security.Cryptography;
using System.Text;
using Grainetes.Machinery.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// Kubernetes' static token file: read once at start, one <c>token,user,uid[,"group1,group2"]</c> line each.
/// Tokens are compared in constant time, by their SHA-256, so a timing probe learns nothing.
/// </summary>
public sealed class StaticTokenAuthenticator : IRequestAuthenticator
{
    private readonly Dictionary<string, UserInfo> users = new(StringComparer.Ordinal);

    public StaticTokenAuthenticator(IOptions<ApiSecurityOptions> options)
    {
        if (options.Value.TokenAuthFile is { } file && File.Exists(file))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                if (ParseLine(line) is var (token, user))
                {
                    users[Hash(token)] = user;
                }
            }
        }
    }

    public ValueTask<UserInfo?> AuthenticateAsync(HttpContext context)
    {
        var token = BearerToken.From(context.Request);
        return ValueTask.FromResult(token is not null && users.TryGetValue(Hash(token), out var user) ? user : null);
    }

    /// <summary>One line of the file; null for blank lines, comments and lines without token, user and uid.</summary>
    public static (string Token, UserInfo User)? ParseLine(string line)
    {
        if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
        {
            return null;
        }

        var fields = SplitCsv(line);
        if (fields.Count < 3 || fields[0].Length == 0 || fields[1].Length == 0)
        {
            return null;
        }

        var groups = fields.Count > 3 ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
        return (fields[0], UserInfo.Authenticated(fields[1], fields[2], groups));
    }

    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in line.Trim())
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString().Trim());
        return fields;
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
