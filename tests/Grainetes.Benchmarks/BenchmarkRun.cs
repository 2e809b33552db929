using System.Globalization;
using Grainetes.Host.Azurite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Benchmarks;

/// <summary>One whole run: private Azurite, host, storage floor, API phases, idle memory, clean shutdown.</summary>
public static class BenchmarkRun
{
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    // Both processes together below 5 % of one core counts as idle: timers never let it reach zero.
    private const double IdleCpuShare = 0.05;

    public static async Task<int> RunAsync(BenchmarkOptions options)
    {
        var hostDll = RepositoryLayout.HostDll;
        var root = Path.Combine(Path.GetTempPath(), "grainetes-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        AzuriteProcess? azurite = null;
        HostProcess? host = null;
        try
        {
            var installation = AzuriteInstallation.Locate(RepositoryLayout.Root);
            var settings = await installation.LoadSettingsAsync().ConfigureAwait(false);
            azurite = await AzuriteProcess.StartAsync(
                installation, settings with { TablePort = 0 }, Path.Combine(root, "azurite"), NullLogger.Instance).ConfigureAwait(false);
            Log($"Azurite pid {azurite.ProcessId} at {azurite.TableEndpoint}");
            host = await HostProcess.StartAsync(hostDll, Path.Combine(root, "home"), azurite.ConnectionString, "--runtime", "process").ConfigureAwait(false);
            Log($"host pid {host.ProcessId} at {host.ApiAddress}");
            int[] pids = [host.ProcessId, azurite.ProcessId];
            var hostPid = host.ProcessId;
            var azuritePid = azurite.ProcessId;
            LoadRunner.CpuSampler = () => new CpuUse(ProcessMemory.CpuSeconds(hostPid), ProcessMemory.CpuSeconds(azuritePid));

            var startIdle = await ProcessMemory.WaitUntilIdleAsync(pids, IdleWindow, IdleCpuShare, IdleTimeout).ConfigureAwait(false);
            var startRss = (Host: ProcessMemory.ResidentMiB(host.ProcessId), Azurite: ProcessMemory.ResidentMiB(azurite.ProcessId));

            FloorResults floor;
            using (var floorBenchmarks = new StorageFloorBenchmarks(azurite.ConnectionString, options))
            {
                floor = await floorBenchmarks.RunAsync().ConfigureAwait(false);
            }

            ApiResults results;
            using (var api = new KubeApi(host.ApiAddress))
            {
                results = await new ApiBenchmarks(api, options).RunAsync().ConfigureAwait(false);
            }

            Log("waiting for both processes to go idle");
            var endIdle = await ProcessMemory.WaitUntilIdleAsync(pids, IdleWindow, IdleCpuShare, IdleTimeout).ConfigureAwait(false);
            var endRss = (Host: ProcessMemory.ResidentMiB(host.ProcessId), Azurite: ProcessMemory.ResidentMiB(azurite.ProcessId));

            Print(options, results, floor, startRss, startIdle, endRss, endIdle);
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("benchmark failed: " + e.Message);
            // Transport failures hide their cause (reset, refused, timeout) in inner exceptions.
            Console.Error.WriteLine(e);
            if (host is not null)
            {
                Console.Error.WriteLine("host's last output:\n" + host.Tail);
            }

            return 1;
        }
        finally
        {
            if (host is not null)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }

            if (azurite is not null)
            {
                await azurite.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"could not delete {root}: {e.Message}");
            }
        }
    }

    private static void Print(
        BenchmarkOptions options, ApiResults api, FloorResults floor,
        (double Host, double Azurite) startRss, bool startIdle, (double Host, double Azurite) endRss, bool endIdle)
    {
        Console.WriteLine();
        Console.WriteLine($"Grainetes benchmark{(options.Quick ? " (--quick: 1/5 counts)" : "")}, {DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores");
        Console.WriteLine();

        var table = new ReportTable("measurement", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "ops/s", "host CPU ms/op", "Azurite CPU ms/op", "target");
        void Row(Measurement m, string target) => table.Add(
            m.Name, m.Count.ToString(CultureInfo.InvariantCulture), ReportTable.Ms(m.P50), ReportTable.Ms(m.P90),
            ReportTable.Ms(m.P99), ReportTable.Ms(m.Max), ReportTable.Rate(m.OpsPerSecond),
            ReportTable.Ms(m.HostCpuMsPerOp), ReportTable.Ms(m.AzuriteCpuMsPerOp), target);

        Row(api.SequentialCreate, Verdict(api.SequentialCreate.P99 <= 15 && api.SequentialCreate.OpsPerSecond >= 250, "p99 <= 15 ms, >= 250/s"));
        Row(api.ConcurrentCreate, Verdict(api.ConcurrentCreate.OpsPerSecond >= 800, ">= 800/s"));
        Row(api.Get, Verdict(api.Get.P50 <= 1, "p50 <= 1 ms"));
        Row(api.List, Verdict(api.List.P50 <= 30, $"p50 <= 30 ms ({api.ListBytes / 1024} KiB)"));
        Row(api.Patch, "");
        Row(api.WatchDelay, Verdict(api.WatchDelay.P99 <= 10, "p99 <= 10 ms"));
        Row(api.Delete, "");
        Row(floor.SequentialInsert, "");
        Row(floor.ConcurrentInsert, "");
        Row(floor.PointRead, "");
        Console.WriteLine(table);

        var ratios = new ReportTable("API / storage floor", "API", "floor", "ratio");
        ratios.Add("create p50 (ms)", ReportTable.Ms(api.SequentialCreate.P50), ReportTable.Ms(floor.SequentialInsert.P50),
            ReportTable.Ratio(api.SequentialCreate.P50 / floor.SequentialInsert.P50));
        ratios.Add("create throughput, sequential (/s)", ReportTable.Rate(api.SequentialCreate.OpsPerSecond),
            ReportTable.Rate(floor.SequentialInsert.OpsPerSecond),
            ReportTable.Ratio(api.SequentialCreate.OpsPerSecond / floor.SequentialInsert.OpsPerSecond));
        ratios.Add($"create throughput, {options.Concurrency}-way (/s)", ReportTable.Rate(api.ConcurrentCreate.OpsPerSecond),
            ReportTable.Rate(floor.ConcurrentInsert.OpsPerSecond),
            ReportTable.Ratio(api.ConcurrentCreate.OpsPerSecond / floor.ConcurrentInsert.OpsPerSecond));
        ratios.Add("GET p50 (ms)", ReportTable.Ms(api.Get.P50), ReportTable.Ms(floor.PointRead.P50),
            ReportTable.Ratio(api.Get.P50 / floor.PointRead.P50));
        Console.WriteLine(ratios);

        var memory = new ReportTable("resident memory (VmRSS)", "host MiB", "Azurite MiB", "sum MiB", "target");
        memory.Add($"idle after start{(startIdle ? "" : " (never went idle)")}", ReportTable.Rate(startRss.Host),
            ReportTable.Rate(startRss.Azurite), ReportTable.Rate(startRss.Host + startRss.Azurite),
            Verdict(startRss.Host + startRss.Azurite <= 250, "<= 250 MiB"));
        memory.Add($"idle after the run{(endIdle ? "" : " (never went idle)")}", ReportTable.Rate(endRss.Host),
            ReportTable.Rate(endRss.Azurite), ReportTable.Rate(endRss.Host + endRss.Azurite),
            Verdict(endRss.Host + endRss.Azurite <= 250, "<= 250 MiB"));
        Console.WriteLine(memory);
    }

    private static string Verdict(bool met, string target) => (met ? "met: " : "MISSED: ") + target;

    private static void Log(string message) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
