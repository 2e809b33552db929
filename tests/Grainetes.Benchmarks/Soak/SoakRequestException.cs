using System.Net;

namespace Grainetes.Benchmarks.Soak;

/// <summary>An answer the soak did not expect (neither the success it asked for nor a 429).</summary>
public sealed class SoakRequestException(string message, HttpStatusCode status) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
