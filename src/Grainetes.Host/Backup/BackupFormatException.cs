namespace Grainetes.Host.Backup;

/// <summary>The file is not a backup this version can restore: damaged, cut short, foreign or from a newer format.</summary>
public sealed class BackupFormatException(string message, Exception? inner = null) : Exception(message, inner);
