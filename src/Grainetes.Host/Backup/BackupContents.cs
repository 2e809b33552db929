namespace Grainetes.Host.Backup;

/// <summary>A backup file read and checked in full.</summary>
public sealed record BackupContents(BackupHeader Header, IReadOnlyList<BackupEntry> Entries);
