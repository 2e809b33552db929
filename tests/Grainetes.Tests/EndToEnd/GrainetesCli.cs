using System.Diagnostics;

namespace Grainetes.Tests.EndToEnd;

/// <summary>Runs the built host's one-shot commands (<c>backup</c>, <c>restore</c>) as a user would.</summary>
internal static class GrainetesCli
{
    public static async Task<CommandResult> RunAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(RepositoryPaths.HostDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["GRAINETES_AZURITE_DIR"] = Path.Combine(RepositoryPaths.Root, "tools", "azurite");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"grainetes {string.Join(' ', arguments)} did not finish in time");
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }
}
