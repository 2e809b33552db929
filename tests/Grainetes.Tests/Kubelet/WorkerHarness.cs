using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Kubelet;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Grainetes.Tests.Kubelet;

/// <summary>
/// A pod worker over the fakes with manual time. <see cref="UntilAsync"/> moves time on in sync-period steps
/// until a condition holds, with a real-time deadline, so tests never wait on a fixed sleep.
/// </summary>
internal sealed class WorkerHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();

    public WorkerHarness(JsonObject pod, Action<FakeContainerRuntime>? setup = null, Action<FakePodHost>? hostSetup = null)
    {
        Runtime = new FakeContainerRuntime(Time);
        setup?.Invoke(Runtime);
        hostSetup?.Invoke(Host);
        Worker = new PodWorker(pod, Runtime, Host, Options, Time, NullLogger.Instance);
        Run = Task.Run(() => Worker.RunAsync(stop.Token));
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public FakeContainerRuntime Runtime { get; }

    public FakePodHost Host { get; } = new();

    public KubeletOptions Options { get; } = new();

    public PodWorker Worker { get; }

    public Task Run { get; }

    public JsonObject? Status => Host.LastStatus;

    /// <summary>Lets the worker sync, moving manual time to each of its wake-ups, until <paramref name="condition"/> holds; fails after 10 real seconds.</summary>
    public async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (Run.IsCompleted)
            {
                await Run;
                if (condition()) return;
                throw new InvalidOperationException($"the worker ended before {what}; last status: {Status?.ToJsonString()}");
            }

            await StepAsync(deadline, what);
        }
    }

    /// <summary>Lets manual time pass, with every sync the worker does on the way.</summary>
    public async Task AdvanceAsync(TimeSpan span)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var target = Time.GetUtcNow() + span;
        while (!Run.IsCompleted)
        {
            if (Worker.Progress.WakeAt > target)
            {
                if (target > Time.GetUtcNow()) Time.SetUtcNow(target);
                return;
            }

            await StepAsync(deadline, "time to pass");
        }
    }

    /// <summary>Moves time on in one jump (the worker wakes once, as after a long sleep) and waits for that sync.</summary>
    public async Task JumpAsync(TimeSpan span)
    {
        var before = Worker.Progress;
        Time.Advance(span);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Worker.Progress.Syncs == before.Syncs && !Run.IsCompleted)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no sync after the jump");
            await Task.Delay(1);
        }
    }

    /// <summary>Wakes the worker by moving time to its next wake-up (if it waits) and waits for that sync to finish.</summary>
    private async Task StepAsync(DateTime deadline, string what)
    {
        var before = Worker.Progress;
        if (before.WakeAt > Time.GetUtcNow()) Time.SetUtcNow(before.WakeAt);
        while (Worker.Progress.Syncs == before.Syncs && !Run.IsCompleted)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not reached; last status: {Status?.ToJsonString()}");
            }

            await Task.Delay(1);
        }
    }

    public JsonObject? ContainerStatus(string name, bool init = false) =>
        (Status?[init ? "initContainerStatuses" : "containerStatuses"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(c => (string?)c["name"] == name);

    public string? Condition(string type) =>
        (Status?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type)?["status"]?.GetValue<string>();

    public string? Phase => (string?)Status?["phase"];

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await Run.WaitAsync(TimeSpan.FromSeconds(10));
        stop.Dispose();
    }
}
