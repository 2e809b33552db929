using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Benchmarks.Cloud;

/// <summary>
/// LoadBalancer services on the real host with the local provider: create → <c>status.loadBalancer</c> showing an
/// address (polled every 10 ms), delete → gone (the cleanup finalizer waits for the controller), and the forwarder's
/// data path against going straight to the NodePort: connect + 1-byte echo round trips and bulk echo throughput.
/// The echo server on 127.0.0.1:&lt;nodePort&gt; stands in for the host proxy; all traffic stays on loopback.
/// </summary>
public static class LoadBalancerBenchmark
{
    private const int PollMs = 10;

    public static async Task<int> RunAsync(bool quick)
    {
        var services = quick ? 10 : 50;
        var roundTrips = quick ? 200 : 1000;
        var bulkBytes = (quick ? 32 : 256) * 1024 * 1024;
        await using var cluster = await Cluster.StartAsync("--runtime", "process").ConfigureAwait(false);
        using var api = new KubeApi(cluster.RunningHost.ApiAddress);
        using var setup = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        var ct = setup.Token;
        await Startup.PodStartupBenchmark.WaitForReadyNodeAsync(api, ct).ConfigureAwait(false);
        var ns = "lb-" + Guid.NewGuid().ToString("N")[..6];
        await api.CreateNamespaceAsync(ns, ct).ConfigureAwait(false);
        var path = $"/api/v1/namespaces/{ns}/services";

        using var echo = Echo.Start();
        var ensure = new List<long>();
        var total = Stopwatch.StartNew();
        for (var i = 0; i < services; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await api.PostAsync(path, Body($"lb-{i}", i == 0 ? echo.Port : null), ct).ConfigureAwait(false);
            await UntilAsync(async () => Ingress(await api.GetPathAsync($"{path}/lb-{i}", ct).ConfigureAwait(false)) is not null, ct).ConfigureAwait(false);
            ensure.Add(Stopwatch.GetTimestamp() - started);
        }

        var created = new Measurement("create → EXTERNAL-IP", ensure, total.Elapsed);
        var ip = IPAddress.Parse(Ingress(await api.GetPathAsync($"{path}/lb-0", ct).ConfigureAwait(false))!);
        await UntilAsync(async () => await TryRoundTripAsync(ip, 9000).ConfigureAwait(false) is not null, ct).ConfigureAwait(false);

        var direct = await RoundTripsAsync(IPAddress.Loopback, echo.Port, roundTrips).ConfigureAwait(false);
        var through = await RoundTripsAsync(ip, 9000, roundTrips).ConfigureAwait(false);
        // Alternated and the better of three each: on a loaded machine one run alone says more about the neighbours.
        double directBulk = 0, throughBulk = 0;
        for (var round = 0; round < 3; round++)
        {
            directBulk = Math.Max(directBulk, await BulkAsync(IPAddress.Loopback, echo.Port, bulkBytes).ConfigureAwait(false));
            throughBulk = Math.Max(throughBulk, await BulkAsync(ip, 9000, bulkBytes).ConfigureAwait(false));
        }

        var deletes = new List<long>();
        total.Restart();
        for (var i = 0; i < services; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await api.DeletePathAsync($"{path}/lb-{i}", ct).ConfigureAwait(false);
            var name = $"{path}/lb-{i}";
            await UntilAsync(async () =>
            {
                using var response = await api.Http.GetAsync(name, ct).ConfigureAwait(false);
                return response.StatusCode == HttpStatusCode.NotFound;
            }, ct).ConfigureAwait(false);
            deletes.Add(Stopwatch.GetTimestamp() - started);
        }

        var deleted = new Measurement("delete → gone", deletes, total.Elapsed);

        Console.WriteLine();
        Console.WriteLine($"LoadBalancer services (local provider), {DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores, load average {Scheduling.SchedulerEndToEndBenchmark.LoadAverage()}");
        Console.WriteLine($"| what | n | p50 ms | p90 ms | p99 ms | max ms |");
        Console.WriteLine($"| --- | --- | --- | --- | --- | --- |");
        foreach (var m in new[] { created, deleted, direct, through })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {m.Name} | {m.Count} | {m.P50:F1} | {m.P90:F1} | {m.P99:F1} | {m.Max:F1} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bulk echo of {bulkBytes / (1024 * 1024)} MiB each way (best of 3): direct to the NodePort {directBulk:F0} MiB/s, through the balancer {throughBulk:F0} MiB/s"));
        Console.WriteLine($"(polling every {PollMs} ms: latencies carry up to {PollMs} ms of it)");
        return 0;
    }

    private static byte[] Body(string name, int? nodePort)
    {
        var port = new JsonObject { ["port"] = 9000 };
        if (nodePort is { } n)
        {
            port["nodePort"] = n;
        }

        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject { ["type"] = "LoadBalancer", ["ports"] = new JsonArray(port) },
        }.ToJsonString());
    }

    private static string? Ingress(byte[] json) => (string?)JsonNode.Parse(json)?["status"]?["loadBalancer"]?["ingress"]?[0]?["ip"];

    private static async Task UntilAsync(Func<Task<bool>> done, CancellationToken ct)
    {
        while (!await done().ConfigureAwait(false))
        {
            await Task.Delay(PollMs, ct).ConfigureAwait(false);
        }
    }

    private static async Task<Measurement> RoundTripsAsync(IPAddress address, int port, int count)
    {
        var ticks = new List<long>(count);
        var total = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            _ = await TryRoundTripAsync(address, port).ConfigureAwait(false) ?? throw new InvalidOperationException($"no echo from {address}:{port}");
            ticks.Add(Stopwatch.GetTimestamp() - started);
        }

        return new Measurement(address.Equals(IPAddress.Loopback) ? "connect + 1-byte echo, direct" : "connect + 1-byte echo, through the balancer", ticks, total.Elapsed);
    }

    private static async Task<int?> TryRoundTripAsync(IPAddress address, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port)).ConfigureAwait(false);
            await socket.SendAsync(new byte[] { 42 }).ConfigureAwait(false);
            var buffer = new byte[1];
            return await socket.ReceiveAsync(buffer).ConfigureAwait(false) == 1 ? buffer[0] : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>Sends <paramref name="bytes"/> while reading the echo back; MiB per second of the echoed stream.</summary>
    private static async Task<double> BulkAsync(IPAddress address, int port, int bytes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(address, port)).ConfigureAwait(false);
        var started = Stopwatch.StartNew();
        var send = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            for (var sent = 0; sent < bytes; sent += chunk.Length)
            {
                await socket.SendAsync(chunk.AsMemory(0, Math.Min(chunk.Length, bytes - sent))).ConfigureAwait(false);
            }

            socket.Shutdown(SocketShutdown.Send);
        });
        var received = 0L;
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer).ConfigureAwait(false)) > 0)
        {
            received += read;
        }

        await send.ConfigureAwait(false);
        if (received != bytes)
        {
            throw new InvalidOperationException($"echoed {received} of {bytes} bytes");
        }

        return bytes / (1024.0 * 1024.0) / started.Elapsed.TotalSeconds;
    }
}
