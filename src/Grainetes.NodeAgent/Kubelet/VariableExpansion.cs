using System.Text;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>
/// Kubernetes' <c>$(VAR)</c> expansion in env values, command and args: <c>$$</c> escapes a dollar,
/// and a reference to an undefined variable is left as written.
/// </summary>
internal static class VariableExpansion
{
    public static string Expand(string input, Func<string, string?> lookup)
    {
        if (!input.Contains('$', StringComparison.Ordinal)) return input;
        var result = new StringBuilder(input.Length);
        var i = 0;
        while (i < input.Length)
        {
            var c = input[i];
            if (c != '$' || i + 1 >= input.Length)
            {
                result.Append(c);
                i++;
                continue;
            }

            var next = input[i + 1];
            if (next == '$')
            {
                result.Append('$');
                i += 2;
                continue;
            }

            if (next == '(')
            {
                var close = input.IndexOf(')', i + 2);
                if (close > i + 2)
                {
                    var name = input[(i + 2)..close];
                    result.Append(lookup(name) ?? input[i..(close + 1)]);
                    i = close + 1;
                    continue;
                }
            }

            result.Append(c);
            i++;
        }

        return result.ToString();
    }
}
