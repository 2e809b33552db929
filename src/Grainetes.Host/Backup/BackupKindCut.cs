namespace Grainetes.Host.Backup;

/// <summary>One kind in a backup.</summary>
/// <param name="Kind">The kind's storage key (<c>pods</c>, <c>deployments.apps</c>).</param>
/// <param name="ResourceVersion">The objects are the kind's state after every change up to this version.</param>
/// <param name="ReservedUpTo">The kind's counter when the backup was taken; a restore starts above it.</param>
/// <param name="Count">How many objects of the kind the body holds.</param>
public sealed record BackupKindCut(string Kind, long ResourceVersion, long ReservedUpTo, long Count);
