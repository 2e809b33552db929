using System.Security.Cryptography;
using System.Text;

namespace Grainetes.NodeAgent.Runtime.Docker;

/// <summary>
/// The <c>io.grainetes.owner</c> label of one node agent's containers: its node name and its home directory, so two
/// hosts (or two test clusters) sharing one daemon never adopt or remove each other's containers.
/// </summary>
public static class DockerOwner
{
    public static string For(string node, string home) =>
        node + "." + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(home))))[..12];
}
