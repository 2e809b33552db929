using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Grainetes.Host.Azurite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Benchmarks.Backup;

/// <summary>
/// <c>backup</c>: the cost of <c>grainetes backup</c> and <c>grainetes restore</c> of a cluster holding N ConfigMaps of
/// about 1 KiB of random text each (default 10,000): wall time, file size and the command's peak resident memory, each command a real
/// child process against a private Azurite.
/// </summary>
public static class BackupBenchmark
{
    public static async Task<int> RunAsync(int objects)
    {
        await using var cluster = await Cluster.StartAsync("--runtime", "process");
        var clock = Stopwatch.StartNew();
        await FillAsync(cluster.RunningHost.ApiAddress, objects);
        Cluster.Log($"{objects} ConfigMaps created in {clock.Elapsed.TotalSeconds:0.0} s");

        var file = Path.Combine(cluster.Root, "bench.bak");
        var key = Path.Combine(cluster.Root, "home", "pki", "secrets.key");
        var backup = await MeasureAsync("backup", "--storage", cluster.Azurite.ConnectionString, "--secrets-key-file", key, "--out", file);
        var size = new FileInfo(file).Length;

        var installation = AzuriteInstallation.Locate(RepositoryLayout.Root);
        await using var target = await AzuriteProcess.StartAsync(
            installation, await installation.LoadSettingsAsync() with { TablePort = 0 }, Path.Combine(cluster.Root, "target"), NullLogger.Instance);
        var restore = await MeasureAsync("restore", "--in", file, "--storage", target.ConnectionString, "--secrets-key-file", key);

        var table = new ReportTable("command", "objects in store", "wall s", "objects/s", "peak RSS MiB", "file MiB");
        var total = Math.Max(objects, CountLine(backup.Output));
        table.Add("backup", total.ToString(CultureInfo.InvariantCulture), backup.Seconds.ToString("0.0", CultureInfo.InvariantCulture),
            ReportTable.Rate(total / backup.Seconds), backup.PeakMiB.ToString("0", CultureInfo.InvariantCulture), (size / 1048576.0).ToString("0.00", CultureInfo.InvariantCulture));
        table.Add("restore", total.ToString(CultureInfo.InvariantCulture), restore.Seconds.ToString("0.0", CultureInfo.InvariantCulture),
            ReportTable.Rate(total / restore.Seconds), restore.PeakMiB.ToString("0", CultureInfo.InvariantCulture), "-");
        Console.WriteLine();
        Console.WriteLine(table);
        return 0;
    }

    /// <summary>Every object the backup holds (the ConfigMaps plus the cluster's own: namespaces, nodes, RBAC, events), from its summary.</summary>
    private static int CountLine(string output)
    {
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("backup written", StringComparison.Ordinal)) ?? "";
        var open = line.IndexOf('(', StringComparison.Ordinal);
        var space = open < 0 ? -1 : line.IndexOf(' ', open);
        return open >= 0 && space > open && int.TryParse(line[(open + 1)..space], CultureInfo.InvariantCulture, out var all) ? all : 0;
    }

    private static async Task FillAsync(Uri api, int objects)
    {
        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(60) };
        var created = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, objects), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var json = $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c{{{i}}}","labels":{"bench":"backup"}},"data":{"payload":"{{{Payload.Text(1000)}}}"}}""";
            for (var attempt = 0; ; attempt++)
            {
                using var response = await http.PostAsync("/api/v1/namespaces/default/configmaps", new StringContent(json, Encoding.UTF8, "application/json"), ct);
                if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict)
                {
                    break;
                }

                if (attempt >= 5)
                {
                    throw new InvalidOperationException($"creating c{i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                }
            }

            if (Interlocked.Increment(ref created) % 2000 == 0)
            {
                Cluster.Log($"{created} created");
            }
        });
    }

    private static async Task<(double Seconds, double PeakMiB, string Output)> MeasureAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(RepositoryLayout.HostDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var peak = 0.0;
        while (!process.HasExited)
        {
            // VmHWM is the kernel's own high-water mark of the resident set: sampling it late loses nothing.
            peak = Math.Max(peak, HighWaterMiB(process.Id));
            await Task.Delay(50);
        }

        await process.WaitForExitAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        var output = await stdout + await stderr;
        Console.WriteLine(output.TrimEnd());
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"grainetes {arguments[0]} exited with {process.ExitCode}");
        }

        return (seconds, peak, output);
    }

    private static double HighWaterMiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (IOException)
        {
            // Exited between the check and the read.
        }

        return 0;
    }
}
