namespace Grainetes.Host.Backup;

/// <summary>The constants of the backup file: one header line, then a gzip'd body of JSON lines.</summary>
public static class BackupFormat
{
    public const string Magic = "grainetes-backup";

    public const int CurrentVersion = 1;

    /// <summary>A header longer than this is not a header: reading stops rather than buffering a whole foreign file.</summary>
    public const int MaxHeaderBytes = 1024 * 1024;
}
