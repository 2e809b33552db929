namespace Grainetes.Benchmarks.Soak;

/// <summary>How hard a soak pushes: clients doing mixed CRUD in closed loops, open watches, for how long.</summary>
public sealed record SoakSettings(int Clients, int Watches, TimeSpan Duration, int Namespaces = 10, int NamesPerClient = 5)
{
    /// <summary>The suite's bounded version.</summary>
    public static SoakSettings Bounded { get; } = new(50, 200, TimeSpan.FromSeconds(30));

    /// <summary>Issue 8's full soak, run as a benchmark.</summary>
    public static SoakSettings Full { get; } = new(200, 1000, TimeSpan.FromMinutes(2));
}
