using System.CommandLine;
using System.Globalization;
using Grainetes.Grains.Storage;
using Grainetes.Host.Backup;
using Microsoft.Extensions.Options;

namespace Grainetes.Host.Cli;

/// <summary><c>grainetes backup</c>: every object of a cluster into one checked file, while the cluster serves.</summary>
public static class BackupCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "The backup file to write", Required = true };
        var storage = new StorageArguments();
        var command = new Command("backup", "Write a consistent snapshot of every object (each kind at one resourceVersion) to a file")
        {
            output,
        };
        storage.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var home = storage.HomePath(result);
            using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
            try
            {
                var key = SecretsKeys.Existing(result.GetValue(storage.SecretsKeyFile), home);
                await using var connection = await StorageConnection.OpenAsync(result.GetValue(storage.Storage), home, loggerFactory.CreateLogger("Grainetes.Backup"), cancellationToken);
                var options = Options.Create(new StoreOptions
                {
                    ConnectionString = connection.ConnectionString,
                    TablePrefix = result.GetValue(storage.TablePrefix)!,
                    SecretsEncryptionKey = key,
                });
                var protector = new StoredValueProtector(options);
                var snapshotter = new StoreSnapshotter(new ChangeLogStore(options, protector));
                var path = Path.GetFullPath(result.GetValue(output)!);
                var cuts = new List<(string, long, long)>();
                await using (var writer = new BackupFileWriter(path))
                {
                    foreach (var kind in await snapshotter.KindsAsync(cancellationToken))
                    {
                        var snapshot = await snapshotter.ReadAsync(kind, cancellationToken);
                        foreach (var (ns, name, rv, json) in snapshot.Objects)
                        {
                            // Secrets stay sealed in the file, as at rest: a backup is no easier to read than the store.
                            await writer.WriteAsync(new BackupEntry(kind, ns, name, rv, protector.Protect(kind, json)!), cancellationToken);
                        }

                        cuts.Add((kind, snapshot.ResourceVersion, snapshot.ReservedUpTo));
                    }

                    var header = await writer.CompleteAsync(cuts, protector.Enabled ? SecretsKeys.Fingerprint(key) : null, cancellationToken);
                    Console.WriteLine(SummaryTable.Render(
                        ["KIND", "OBJECTS", "RESOURCEVERSION"],
                        header.Kinds.Select(k => new[] { k.Kind, k.Count.ToString(CultureInfo.InvariantCulture), k.ResourceVersion.ToString(CultureInfo.InvariantCulture) })));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"backup written: {path} ({header.Objects} objects in {header.Kinds.Count} kinds, {new FileInfo(path).Length} bytes, sha256 {header.BodySha256[..16]}…)"));
                }

                return 0;
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or InvalidOperationException or IOException or UnauthorizedAccessException or FormatException)
            {
                Console.Error.WriteLine("backup failed: " + ex.Message);
                return 1;
            }
        });
        return command;
    }
}
