namespace Grainetes.Machinery.Discovery;

/// <summary>A subresource as discovery advertises it, for example <c>deployments/scale</c> answering with <c>autoscaling/v1 Scale</c>.</summary>
/// <param name="Group">Group of the kind the subresource answers with; may differ from the parent's.</param>
public sealed record Subresource(string Name, string Group, string Version, string Kind, IReadOnlyList<string> Verbs);
