using Grainetes.Machinery.Errors;

namespace Grainetes.ApiServer.Http;

/// <summary>
/// Refuses YAML nested deeper than the JSON reader allows before YamlDotNet sees it: its parser recurses once per
/// level, and a stack overflow cannot be caught, so a hostile body of brackets or indentation would kill the silo.
/// Counts flow brackets outside quotes and block levels by indentation (plus <c>- </c> items), which over-counts
/// at worst and never under-counts.
/// </summary>
internal static class YamlDepthGuard
{
    public static void Check(string text, int maxDepth)
    {
        var flow = 0;
        var indents = new Stack<int>();
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            var line = rawLine;
            var indent = 0;
            while (indent < line.Length && line[indent] == ' ')
            {
                indent++;
            }

            var content = line[indent..];
            if (flow == 0 && content.Length > 0 && content[0] != '#')
            {
                while (indents.Count > 0 && indents.Peek() >= indent)
                {
                    indents.Pop();
                }

                indents.Push(indent);
                var items = 0;
                for (var i = 0; i + 1 < content.Length && content[i] == '-' && content[i + 1] == ' '; i += 2)
                {
                    items++;
                    while (i + 2 < content.Length && content[i + 2] == ' ')
                    {
                        i++;
                    }
                }

                if (indents.Count + items > maxDepth)
                {
                    throw TooDeep();
                }
            }

            var quote = '\0';
            foreach (var c in content)
            {
                if (quote != '\0')
                {
                    if (c == quote)
                    {
                        quote = '\0';
                    }
                }
                else if (c is '"' or '\'')
                {
                    quote = c;
                }
                else if (c is '[' or '{')
                {
                    if (++flow + indents.Count > maxDepth)
                    {
                        throw TooDeep();
                    }
                }
                else if (c is ']' or '}' && flow > 0)
                {
                    flow--;
                }
                else if (c == '#' && flow == 0)
                {
                    break;
                }
            }
        }
    }

    private static ApiException TooDeep() => ApiException.BadRequest("the request body could not be decoded as YAML: it is nested too deeply");
}
