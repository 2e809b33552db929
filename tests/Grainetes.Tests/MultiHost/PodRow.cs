namespace Grainetes.Tests.MultiHost;

/// <summary>A pod as the several-host tests see it: where it is bound and whether it is Ready.</summary>
internal sealed record PodRow(string Name, string? Node, bool Ready, string Uid);

/// <summary>Pods that print themselves (a poll's timeout message shows the last value).</summary>
internal sealed class PodRows : List<PodRow>
{
    public override string ToString() => string.Join(", ", this);
}
