namespace Grainetes.Grains.Storage;

/// <summary>One row of a kind's index: the latest stored form of one object.</summary>
public sealed record IndexedObject(string Namespace, string Name, long ResourceVersion, string Json);
