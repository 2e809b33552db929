using OpenTelemetry.Trace;

namespace Grainetes.Host.Telemetry;

/// <summary>
/// Decides which traces begin: those of API requests, and nothing else. Everything Grainetes does because of a
/// request (grain calls, commits, the controllers, the scheduler and the node agent it wakes) continues that trace
/// under a parent-based sampler; the silo's own periodic chatter (membership, reminders, lease renewals, long polls,
/// resyncs) would begin traces of its own every few seconds and is dropped here, so a quiet cluster prints nothing.
/// </summary>
internal sealed class ApiRootSampler : Sampler
{
    /// <summary>The activity ASP.NET Core starts for every request.</summary>
    public const string RequestActivityName = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    private static readonly SamplingResult Keep = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    public ApiRootSampler()
    {
        Description = nameof(ApiRootSampler);
    }

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Name == RequestActivityName ? Keep : Drop;
}
