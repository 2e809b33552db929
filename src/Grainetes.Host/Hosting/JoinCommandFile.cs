namespace Grainetes.Host.Hosting;

/// <summary>
/// The command that makes another host join this cluster, written to <c>HOME/join-command</c> (owner-only: it
/// carries the cluster secret) and printed at start, so the first host's operator can copy it.
/// </summary>
public static class JoinCommandFile
{
    public static string PathIn(string home) => Path.Combine(home, "join-command");

    public static string Format(string connectionString, Security.ClusterSecret secret) =>
        $"./grainetes join --storage \"{connectionString}\" --cluster-secret {secret.Text}";

    public static async Task<string> WriteAsync(string home, string connectionString, Security.ClusterSecret secret, CancellationToken cancellationToken)
    {
        var command = Format(connectionString, secret);
        var file = PathIn(home);
        File.Delete(file);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var writer = new StreamWriter(file, options))
        {
            await writer.WriteLineAsync(command);
        }

        return command;
    }
}
