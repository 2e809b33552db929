using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Grainetes.Grains.Storage;
using Grainetes.Host.Backup;
using Microsoft.Extensions.Options;

namespace Grainetes.Host.Cli;

/// <summary>
/// <c>grainetes restore</c>: a backup into an empty store. The whole file is read and checked, Secrets opened, and the
/// store found empty (or <c>--force</c>d) before the first write; any refusal leaves the store as it was.
/// </summary>
public static class RestoreCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--in") { Description = "The backup file to restore", Required = true };
        var force = new Option<bool>("--force") { Description = "Delete everything in a store that is not empty, then restore" };
        var gap = new Option<long>("--version-gap")
        {
            Description = "Resource versions each kind skips after the backup's counter, to stay above what the old cluster handed out later",
            DefaultValueFactory = _ => 1_000_000,
        };
        var storage = new StorageArguments();
        var command = new Command("restore", "Restore a backup into an empty store (stop every silo first)") { input, force, gap };
        storage.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var home = storage.HomePath(result);
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
            try
            {
                var contents = await BackupFileReader.ReadAsync(Path.GetFullPath(result.GetValue(input)!), cancellationToken);
                var backupKey = SecretsKeys.Existing(result.GetValue(storage.SecretsKeyFile), home);
                var plain = OpenSecrets(contents, backupKey);

                await using var connection = await StorageConnection.OpenAsync(result.GetValue(storage.Storage), home, loggerFactory.CreateLogger("Grainetes.Restore"), cancellationToken);
                if (connection.ClusterRunning)
                {
                    return Refuse($"a silo is running on {home}: stop every silo of the cluster before restoring");
                }

                var tables = new StoreTables(connection.ConnectionString, result.GetValue(storage.TablePrefix)!);
                if (!await tables.IsEmptyAsync(cancellationToken))
                {
                    if (!result.GetValue(force))
                    {
                        return Refuse("the store is not empty; restore into an empty store, or give --force to delete what it holds first");
                    }

                    Console.WriteLine("--force: deleting every row of " + string.Join(", ", tables.Names));
                    await tables.ClearAsync(cancellationToken);
                }

                var restorer = new StoreRestorer(connection.ConnectionString, result.GetValue(storage.ClusterId)!, SecretsKeys.ForRestoredStore(home, backupKey))
                {
                    VersionGap = result.GetValue(gap),
                };
                var summary = await restorer.RestoreAsync(contents.Header, plain, cancellationToken);
                Console.WriteLine(SummaryTable.Render(
                    ["KIND", "OBJECTS", "RESUMES AFTER"],
                    summary.Kinds.Select(k => new[] { k.Kind, k.Objects.ToString(CultureInfo.InvariantCulture), k.ResumesAfter.ToString(CultureInfo.InvariantCulture) })));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"restored {plain.Count} objects in {summary.Kinds.Count} kinds from a backup of {contents.Header.CreatedAt:u} in {summary.Elapsed.TotalSeconds:0.0} s"));
                return 0;
            }
            catch (BackupFormatException ex)
            {
                return Refuse("the backup file cannot be restored: " + ex.Message);
            }
            catch (FileNotFoundException ex)
            {
                return Refuse(ex.Message);
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or InvalidOperationException or IOException)
            {
                Console.Error.WriteLine("restore failed: " + ex.Message);
                return 2;
            }
        });
        return command;
    }

    /// <summary>Opens every sealed Secret now, so a missing or wrong key is refused before anything is written.</summary>
    private static List<BackupEntry> OpenSecrets(BackupContents contents, string? key)
    {
        var fingerprint = contents.Header.SecretsKeyFingerprint;
        if (fingerprint is not null && key is null)
        {
            throw new BackupFormatException($"its Secrets are sealed with key {fingerprint}; give that key with --secrets-key-file");
        }

        if (fingerprint is not null && SecretsKeys.Fingerprint(key) != fingerprint)
        {
            throw new BackupFormatException($"its Secrets are sealed with key {fingerprint}, not with the given key {SecretsKeys.Fingerprint(key)}");
        }

        var protector = new StoredValueProtector(Options.Create(new StoreOptions { SecretsEncryptionKey = key }));
        try
        {
            return contents.Entries.Select(e => e with { Object = protector.Unprotect(e.Object)! }).ToList();
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or InvalidOperationException)
        {
            throw new BackupFormatException("a sealed Secret does not open: " + ex.Message, ex);
        }
    }

    private static int Refuse(string message)
    {
        Console.Error.WriteLine("restore refused: " + message);
        return 1;
    }
}
