using System.CommandLine;

namespace Grainetes.Host.Cli;

/// <summary>The options that name a cluster's store, shared by <c>backup</c> and <c>restore</c>.</summary>
public sealed class StorageArguments
{
    public Option<string?> Storage { get; } = new("--storage") { Description = "Azure Table Storage connection string of the cluster's store" };

    public Option<string?> Home { get; } = new("--home") { Description = "The cluster's home directory: its Azurite (started for the command when no silo runs) and pki/secrets.key" };

    public Option<string?> SecretsKeyFile { get; } = new("--secrets-key-file") { Description = "File with the base64 AES key that seals Secrets (default: Store__SecretsEncryptionKey, else HOME/pki/secrets.key)" };

    public Option<string> TablePrefix { get; } = new("--table-prefix") { Description = "Prefix of the cluster's tables", DefaultValueFactory = _ => "Grainetes" };

    public Option<string> ClusterId { get; } = new("--cluster-id") { Description = "The cluster's Orleans service id", DefaultValueFactory = _ => "grainetes" };

    public void AddTo(Command command)
    {
        command.Options.Add(Storage);
        command.Options.Add(Home);
        command.Options.Add(SecretsKeyFile);
        command.Options.Add(TablePrefix);
        command.Options.Add(ClusterId);
        command.Validators.Add(result =>
        {
            var storage = result.GetValue(Storage);
            var home = result.GetValue(Home);
            if (string.IsNullOrEmpty(storage) == string.IsNullOrEmpty(home))
            {
                result.AddError("give exactly one of --storage and --home");
            }
        });
    }

    public string? HomePath(ParseResult result) => result.GetValue(Home) is { Length: > 0 } home ? Path.GetFullPath(home) : null;
}
