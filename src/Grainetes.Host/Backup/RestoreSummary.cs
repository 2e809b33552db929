namespace Grainetes.Host.Backup;

/// <summary>What a restore wrote: per kind the object count and the version the kind's counter resumes after.</summary>
public sealed record RestoreSummary(IReadOnlyList<(string Kind, long Objects, long ResumesAfter)> Kinds, TimeSpan Elapsed);
