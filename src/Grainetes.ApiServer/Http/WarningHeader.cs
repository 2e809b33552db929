using System.Globalization;
using System.Text;

namespace Grainetes.ApiServer.Http;

/// <summary>
/// Kubernetes-style <c>Warning: 299 - "text"</c> headers. The text may come from the request (an unknown field's name),
/// so it is quoted with every character outside printable ASCII escaped: a header value with a newline or a non-ASCII
/// character is refused by Kestrel and would turn a warning into a 500.
/// </summary>
public static class WarningHeader
{
    /// <summary>Longest text a warning carries before it is cut, as the Kubernetes API server also truncates.</summary>
    public const int MaxTextLength = 256;

    public static string Format(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = new StringBuilder("299 - \"", text.Length + 16);
        var count = 0;
        foreach (var c in text)
        {
            if (count++ == MaxTextLength)
            {
                value.Append("...");
                break;
            }

            if (c is '"' or '\\')
            {
                value.Append('\\').Append(c);
            }
            else if (c is < ' ' or > '~')
            {
                value.Append(CultureInfo.InvariantCulture, $"\\\\u{(int)c:x4}");
            }
            else
            {
                value.Append(c);
            }
        }

        return value.Append('"').ToString();
    }
}
