namespace Grainetes.Machinery.Security;

/// <summary>How Kubernetes names a service account as a user, and the groups it is in.</summary>
public static class ServiceAccountUser
{
    private const string Prefix = "system:serviceaccount:";

    public static string Name(string @namespace, string name) => Prefix + @namespace + ":" + name;

    public static IReadOnlyList<string> Groups(string @namespace) =>
        ["system:serviceaccounts", "system:serviceaccounts:" + @namespace];

    /// <summary>Splits <c>system:serviceaccount:ns:name</c>; false for any other user.</summary>
    public static bool TryParse(string user, out string @namespace, out string name)
    {
        @namespace = name = "";
        if (!user.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = user[Prefix.Length..].Split(':');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return false;
        }

        (@namespace, name) = (parts[0], parts[1]);
        return true;
    }
}
