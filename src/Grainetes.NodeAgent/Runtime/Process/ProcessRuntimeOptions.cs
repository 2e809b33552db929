namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>Settings of the plain-process runtime. Bound from the <c>ProcessRuntime</c> section.</summary>
public sealed class ProcessRuntimeOptions
{
    public const string SectionName = "ProcessRuntime";

    /// <summary>
    /// Where containers and sandboxes keep their state, logs and emptyDir volumes; null or empty means
    /// <c>$HOME/.grainetes/process-runtime</c>. Must survive silo restarts for adoption to work.
    /// </summary>
    public string? RootDirectory { get; set; }

    /// <summary>The address reported as every pod's IP (processes share the host network); null picks the host's primary IPv4 address, else 127.0.0.1.</summary>
    public string? PodIP { get; set; }

    /// <summary>
    /// Enforces a container's memory limit as an address-space limit (<c>ulimit -v</c>). That is stricter than a
    /// cgroup limit (runtimes that reserve large virtual ranges, such as the JVM or .NET, may fail to start under it),
    /// so it can be turned off.
    /// </summary>
    public bool LimitAddressSpace { get; set; } = true;

    /// <summary>How long <c>StopContainerAsync</c> waits for a process group to vanish after SIGKILL.</summary>
    public TimeSpan KillTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a following log reader looks for new output.</summary>
    public TimeSpan LogPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    internal string ResolveRootDirectory()
    {
        if (!string.IsNullOrWhiteSpace(RootDirectory))
        {
            return Path.GetFullPath(RootDirectory);
        }

        var home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home))
        {
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return Path.Combine(home, ".grainetes", "process-runtime");
    }
}
