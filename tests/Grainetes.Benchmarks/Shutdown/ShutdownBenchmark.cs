using System.Globalization;
using Grainetes.Benchmarks.Soak;

namespace Grainetes.Benchmarks.Shutdown;

/// <summary>
/// How long <c>grainetes up</c> takes to exit on a signal, and whether its open watches end before it does: with a
/// live store (SIGTERM and SIGINT, with and without a soak's load just before), and with the store killed first.
/// </summary>
public static class ShutdownBenchmark
{
    private const int SigInt = 2;
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(180);

    public static async Task<int> RunAsync(bool quick)
    {
        var watches = quick ? 200 : 1000;
        var soak = quick ? SoakSettings.Bounded : SoakSettings.Full;
        Environment.SetEnvironmentVariable("ApiServer__MaxWatchesPerUser", (Math.Max(watches, soak.Watches) * 2).ToString(CultureInfo.InvariantCulture));
        if (SigIntIgnored())
        {
            // Inherited from a shell that started this in the background: the host would never see SIGINT.
            Console.Error.WriteLine("SIGINT is ignored in this process and its children (started in the background?); run it in the foreground");
            return 2;
        }

        var rows = new List<string[]>();
        var ok = true;
        foreach (var (name, signal, killStore, withSoak) in new[]
        {
            ("live store, SIGTERM", SigTerm, false, false),
            ("live store, SIGINT", SigInt, false, false),
            ($"live store, SIGINT after a soak ({soak.Clients} clients, {soak.Watches} watches, {soak.Duration.TotalSeconds:F0} s)", SigInt, false, true),
            ("store SIGKILLed first, SIGTERM", SigTerm, true, false),
        })
        {
            var (code, elapsed, ended) = await RunCaseAsync(signal, killStore, withSoak ? soak : null, watches).ConfigureAwait(false);
            ok &= code == 0 && ended == watches;
            rows.Add([name, watches.ToString(CultureInfo.InvariantCulture), code?.ToString(CultureInfo.InvariantCulture) ?? "killed",
                elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture), ended.ToString(CultureInfo.InvariantCulture)]);
        }

        Console.WriteLine();
        Console.WriteLine("| case | open watches | exit code | signal to exit (s) | watches ended cleanly |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var row in rows)
        {
            Console.WriteLine("| " + string.Join(" | ", row) + " |");
        }

        return ok ? 0 : 1;
    }

    private static async Task<(int? Code, TimeSpan Elapsed, int Ended)> RunCaseAsync(int signal, bool killStore, SoakSettings? soak, int watchCount)
    {
        await using var cluster = await Cluster.StartAsync("--runtime", "process").ConfigureAwait(false);
        var host = cluster.RunningHost;
        if (soak is not null)
        {
            var pid = host.ProcessId;
            using var load = new SoakLoad(host.ApiAddress, soak, () => ProcessMemory.ResidentMiB(pid), Cluster.Log);
            using var soakDeadline = new CancellationTokenSource(soak.Duration + TimeSpan.FromMinutes(5));
            await load.RunAsync(soakDeadline.Token).ConfigureAwait(false);
        }

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue };
        using var http = new HttpClient(handler) { BaseAddress = host.ApiAddress, Timeout = Timeout.InfiniteTimeSpan };
        var opened = await Task.WhenAll(Enumerable.Range(0, watchCount).Select(_ => http.GetStreamAsync("/api/v1/configmaps?watch=true&resourceVersion=0"))).ConfigureAwait(false);
        var readers = opened.Select(ReadToEndAsync).ToList();
        Cluster.Log($"{watchCount} watches open");
        if (killStore)
        {
            Signals.Send(cluster.Azurite.ProcessId, SigKill);
            await cluster.Azurite.Exited.ConfigureAwait(false);
        }

        var (code, elapsed) = await host.SignalAndWaitAsync(signal, ExitDeadline).ConfigureAwait(false);
        // Once the process is gone every stream has ended one way or the other: cleanly, or as a broken connection.
        var ended = (await Task.WhenAll(readers).ConfigureAwait(false)).Count(clean => clean);
        Cluster.Log($"exit code {code?.ToString(CultureInfo.InvariantCulture) ?? "none (killed)"} after {elapsed.TotalSeconds:F1} s; {ended} of {watchCount} watches ended cleanly");
        return (code, elapsed, ended);
    }

    private static bool SigIntIgnored()
    {
        var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) : null;
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << (SigInt - 1))) != 0;
    }

    /// <summary>True when the server ended the stream; false when the connection broke.</summary>
    private static async Task<bool> ReadToEndAsync(Stream stream)
    {
        try
        {
            using var reader = new StreamReader(stream);
            await reader.ReadToEndAsync().ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
