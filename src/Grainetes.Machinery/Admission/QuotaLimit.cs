namespace Grainetes.Machinery.Admission;

/// <summary>One ResourceQuota as admission sees it: its name and <c>spec.hard</c>.</summary>
public sealed record QuotaLimit(string Name, IReadOnlyDictionary<string, decimal> Hard);
