namespace Grainetes.Benchmarks;

/// <summary>Finds the repository and the Release host, which is built beforehand rather than by the harness.</summary>
public static class RepositoryLayout
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Grainetes.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Grainetes.sln not found above " + AppContext.BaseDirectory);
        }
    }

    // Always Release: a Debug host would measure the JIT's unoptimised code, whatever configuration the harness has.
    public static string HostDll
    {
        get
        {
            var path = Path.Combine(Root, "src", "Grainetes.Host", "bin", "Release", "net10.0", "grainetes.dll");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"The Release host is not built; run `dotnet build -c Release src/Grainetes.Host` first ({path})", path);
        }
    }
}
