using System.Globalization;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>
/// Finds the terminal that <c>script</c> made for its command (its child's stdin) so that resizes reach it: the
/// process runtime's exec with a TTY runs the command under util-linux <c>script</c>, which owns the terminal.
/// </summary>
internal static class PseudoTerminal
{
    /// <summary>The <c>/dev/pts/N</c> path of the terminal under process <paramref name="scriptPid"/>, or null while it has none.</summary>
    public static string? Of(int scriptPid)
    {
        var pid = scriptPid.ToString(CultureInfo.InvariantCulture);
        string children;
        try
        {
            children = File.ReadAllText($"/proc/{pid}/task/{pid}/children");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                var target = new FileInfo($"/proc/{child}/fd/0").LinkTarget;
                if (target?.StartsWith("/dev/pts/", StringComparison.Ordinal) == true)
                {
                    return target;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile.
            }
        }

        return null;
    }
}
