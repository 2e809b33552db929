using Azure.Core.Pipeline;
using Azure.Data.Tables;

namespace Grainetes.Benchmarks;

/// <summary>
/// Raw Azure.Data.Tables calls against the same Azurite the host uses: the least any API write or read that
/// touches storage can cost on this machine, so the API figures can be read as multiples of it.
/// </summary>
public sealed class StorageFloorBenchmarks(string connectionString, BenchmarkOptions options) : IDisposable
{
    private const int PayloadLength = 1000;
    private const string Partition = "p";

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 128 });

    public async Task<FloorResults> RunAsync()
    {
        using var setup = new CancellationTokenSource(LoadRunner.PhaseTimeout);
        var clientOptions = new TableClientOptions
        {
            Transport = new HttpClientTransport(_http),
        };
        // Retries would hide a slow call behind a second one; a floor should show the single-call cost.
        clientOptions.Retry.MaxRetries = 0;
        var service = new TableServiceClient(connectionString, clientOptions);
        if (!IPAddressIsLoopback(service.Uri))
        {
            throw new InvalidOperationException($"storage at {service.Uri} is not loopback");
        }

        var table = service.GetTableClient("benchfloor" + Guid.NewGuid().ToString("N")[..8]);
        await table.CreateAsync(setup.Token).ConfigureAwait(false);
        try
        {
            Log("g. storage floor warm-up");
            await LoadRunner.ConcurrentAsync("floor warm-up", Math.Max(1, options.Warmup), 4,
                (i, c) => table.AddEntityAsync(Entity($"w{i:D5}"), c)).ConfigureAwait(false);

            var sequential = Enumerable.Range(0, options.FloorInserts).Select(i => Entity($"s{i:D5}")).ToArray();
            Log($"g. {sequential.Length} sequential inserts");
            var sequentialInsert = await LoadRunner.SequentialAsync(
                "floor: insert, sequential", sequential.Length, (i, c) => table.AddEntityAsync(sequential[i], c)).ConfigureAwait(false);

            var concurrent = Enumerable.Range(0, options.FloorConcurrentInserts).Select(i => Entity($"c{i:D5}")).ToArray();
            Log($"g. {concurrent.Length} inserts at concurrency {options.Concurrency}");
            var concurrentInsert = await LoadRunner.ConcurrentAsync(
                $"floor: insert, {options.Concurrency}-way", concurrent.Length, options.Concurrency,
                (i, c) => table.AddEntityAsync(concurrent[i], c)).ConfigureAwait(false);

            var picks = Enumerable.Range(0, options.FloorReads).Select(_ => sequential[Payload.Next(sequential.Length)].RowKey).ToArray();
            Log($"g. {picks.Length} sequential point reads");
            var pointRead = await LoadRunner.SequentialAsync(
                "floor: point read", picks.Length, (i, c) => table.GetEntityAsync<TableEntity>(Partition, picks[i], cancellationToken: c))
                .ConfigureAwait(false);

            return new FloorResults(sequentialInsert, concurrentInsert, pointRead);
        }
        finally
        {
            // The floor's rows would otherwise sit in Azurite's memory and in its periodic database rewrite.
            await table.DeleteAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();

    private static TableEntity Entity(string rowKey) =>
        new(Partition, rowKey) { ["payload"] = Payload.Text(PayloadLength) };

    private static bool IPAddressIsLoopback(Uri uri) =>
        System.Net.IPAddress.TryParse(uri.Host, out var ip) && System.Net.IPAddress.IsLoopback(ip);

    private static void Log(string message) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
