namespace Grainetes.Tests.EndToEnd;

/// <summary>Finds the repository and the host binary built beside these tests (same configuration).</summary>
internal static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Grainetes.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Grainetes.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The built host: tests/.../bin/{Configuration}/net10.0 maps to src/Grainetes.Host/bin/{Configuration}/net10.0.</summary>
    public static string HostDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;
            var path = Path.Combine(Root, "src", "Grainetes.Host", "bin", configuration, "net10.0", "grainetes.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("The host is not built", path);
        }
    }
}
