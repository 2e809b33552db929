using System.Text.Json;

namespace Grainetes.Host.Azurite;

/// <summary>
/// Where the pinned Azurite lives: the npm project directory (<c>tools/azurite</c>) whose
/// <c>node_modules/azurite</c> holds the server, and the repository root when there is one.
/// </summary>
public sealed class AzuriteInstallation
{
    /// <summary>Points at the npm project directory (the one holding <c>node_modules/azurite</c>) or at the azurite package itself.</summary>
    public const string DirectoryVariable = "GRAINETES_AZURITE_DIR";

    private const string SolutionFileName = "Grainetes.sln";

    private AzuriteInstallation(string packageDirectory, string? repositoryRoot)
    {
        PackageDirectory = packageDirectory;
        RepositoryRoot = repositoryRoot;
    }

    /// <summary>The installed <c>azurite</c> npm package (the directory holding its package.json and dist/).</summary>
    public string PackageDirectory { get; }

    /// <summary>The folder holding Grainetes.sln, when the installation was found by walking up to it.</summary>
    public string? RepositoryRoot { get; }

    /// <summary>The table service's entry point; run directly with node so that signalling node signals the server.</summary>
    public string TableMainScript => Path.Combine(PackageDirectory, "dist", "src", "table", "main.js");

    /// <summary>The repository's <c>azurite.json</c>, when there is a repository root and the file exists.</summary>
    public string? SettingsFile =>
        RepositoryRoot is { } root && File.Exists(Path.Combine(root, AzuriteSettings.FileName))
            ? Path.Combine(root, AzuriteSettings.FileName)
            : null;

    /// <summary>
    /// Finds Azurite: first <see cref="DirectoryVariable"/>, else the <c>tools/azurite</c> of the first folder
    /// holding Grainetes.sln at or above <paramref name="startDirectory"/> (default: <see cref="AppContext.BaseDirectory"/>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">Neither leads to an installed Azurite; the message says how to install it.</exception>
    public static AzuriteInstallation Locate(string? startDirectory = null)
    {
        var start = startDirectory ?? AppContext.BaseDirectory;
        var repositoryRoot = FindRepositoryRoot(start);

        var overridden = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrWhiteSpace(overridden))
        {
            return FromDirectory(overridden, repositoryRoot);
        }

        if (repositoryRoot is null)
        {
            throw new DirectoryNotFoundException(
                $"No {SolutionFileName} at or above {start}, and {DirectoryVariable} is not set: cannot find Azurite.");
        }

        return FromDirectory(Path.Combine(repositoryRoot, "tools", "azurite"), repositoryRoot);
    }

    /// <summary>
    /// Uses an explicit directory: the npm project directory (holding <c>node_modules/azurite</c>),
    /// the azurite package itself, or a repository root (holding <c>tools/azurite</c>).
    /// </summary>
    public static AzuriteInstallation FromDirectory(string directory, string? repositoryRoot = null)
    {
        var full = Path.GetFullPath(directory);
        string[] candidates =
        [
            Path.Combine(full, "node_modules", "azurite"),
            full,
            Path.Combine(full, "tools", "azurite", "node_modules", "azurite"),
        ];
        foreach (var candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "dist", "src", "table", "main.js")))
            {
                var root = repositoryRoot
                    ?? (File.Exists(Path.Combine(full, SolutionFileName)) ? full : FindRepositoryRoot(full));
                return new AzuriteInstallation(candidate, root);
            }
        }

        throw new DirectoryNotFoundException(
            $"Azurite is not installed under {full}: run `npm ci` in tools/azurite (./grainetes and ./test.sh do it).");
    }

    /// <summary>The folder holding Grainetes.sln at or above <paramref name="startDirectory"/>, or null.</summary>
    public static string? FindRepositoryRoot(string startDirectory)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFileName)))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>The repository's settings when it has an azurite.json, else the built-in defaults (which equal it).</summary>
    public async Task<AzuriteSettings> LoadSettingsAsync(CancellationToken cancellationToken = default) =>
        SettingsFile is { } file
            ? await AzuriteSettings.LoadAsync(file, cancellationToken).ConfigureAwait(false)
            : new AzuriteSettings();

    /// <summary>The version in the installed package's package.json, or null when unreadable.</summary>
    public async Task<string?> ReadInstalledVersionAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var stream = File.OpenRead(Path.Combine(PackageDirectory, "package.json"));
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return document.RootElement.TryGetProperty("version", out var version) ? version.GetString() : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
