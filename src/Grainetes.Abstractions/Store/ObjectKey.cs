namespace Grainetes.Abstractions.Store;

/// <summary>
/// Names one stored object: its kind's storage key (<c>pods</c>, <c>deployments.apps</c>), namespace
/// (empty for cluster-scoped kinds) and name. Its string form is the object grain's key.
/// </summary>
[GenerateSerializer, Immutable, Alias("grainetes.ObjectKey")]
public readonly record struct ObjectKey(
    [property: Id(0)] string Resource,
    [property: Id(1)] string Namespace,
    [property: Id(2)] string Name)
{
    private const char Separator = '|';

    /// <summary>The grain key: <c>pods|default|web-1</c>. '|' cannot appear in Kubernetes names.</summary>
    public string GrainKey => string.Concat(Resource, "|", Namespace, "|", Name);

    public static ObjectKey Parse(string grainKey)
    {
        var parts = grainKey.Split(Separator);
        if (parts.Length != 3)
        {
            throw new FormatException($"'{grainKey}' is not an object key of the form resource|namespace|name.");
        }

        return new ObjectKey(parts[0], parts[1], parts[2]);
    }

    public override string ToString() => GrainKey;
}
