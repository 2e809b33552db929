namespace Grainetes.Machinery.Security;

/// <summary>The answer of the authorizer, with the reason Kubernetes would give.</summary>
public sealed record AuthorizationDecision(bool Allowed, string Reason)
{
    public static AuthorizationDecision Deny { get; } = new(false, "");
}
