using System.Diagnostics;

namespace Grainetes.NodeAgent.Proxy;

/// <summary>
/// Makes every address of the service range local to this host with one route (<c>ip route replace local CIDR dev
/// IF</c>, Linux's "any IP" route), so the proxy can listen on any cluster IP without adding an address per service;
/// pods on the bridge get the host's ARP answer for them. The route is shared by every cluster on the host and is
/// left in place: it routes nothing off the host.
/// </summary>
public static class ClusterIpRoute
{
    /// <summary>Adds or replaces the route; returns null on success, else why it failed (for example, not root).</summary>
    public static async Task<string?> EnsureAsync(string cidr, string device, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "route", "replace", "local", cidr, "dev", device })
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return process.ExitCode == 0 ? null : (await error.ConfigureAwait(false)).Trim();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return "no ip command: " + e.Message;
        }
    }
}
