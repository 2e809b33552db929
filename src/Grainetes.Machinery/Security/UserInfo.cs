namespace Grainetes.Machinery.Security;

/// <summary>Who a request comes from, as Kubernetes' authenticators describe it.</summary>
public sealed record UserInfo(string Name, string? Uid, IReadOnlyList<string> Groups)
{
    public const string AllAuthenticated = "system:authenticated";
    public const string AllUnauthenticated = "system:unauthenticated";
    public const string Masters = "system:masters";

    /// <summary>The user of a request that carried no credential (only on servers that allow anonymous requests).</summary>
    public static UserInfo Anonymous { get; } = new("system:anonymous", null, [AllUnauthenticated]);

    /// <summary>An authenticated user: Kubernetes adds <c>system:authenticated</c> to every one.</summary>
    public static UserInfo Authenticated(string name, string? uid, IEnumerable<string> groups) =>
        new(name, uid, groups.Append(AllAuthenticated).Distinct(StringComparer.Ordinal).ToArray());
}
