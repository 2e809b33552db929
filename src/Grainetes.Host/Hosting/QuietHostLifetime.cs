namespace Grainetes.Host.Hosting;

/// <summary>
/// A host lifetime that handles no signals: <see cref="StopSignals"/> owns them for the whole process, so a
/// console lifetime must not start a second, unbounded stop of its own.
/// </summary>
public sealed class QuietHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
