namespace Grainetes.Tests.Faults;

/// <summary>What the store acknowledged for one object: its data value and resourceVersion, or that it is deleted.</summary>
internal sealed record AcknowledgedWrite(string Name, string? Value, string ResourceVersion, bool Deleted);
