namespace Grainetes.Host.Hosting;

/// <summary>The name this host registers as a node (<c>--node-name</c>, default the host name).</summary>
public sealed record NodeIdentity(string Name);
