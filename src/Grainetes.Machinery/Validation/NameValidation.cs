using System.Text.RegularExpressions;

namespace Grainetes.Machinery.Validation;

/// <summary>
/// Kubernetes' name and label checks (k8s.io/apimachinery/pkg/util/validation), with the same
/// messages, so clients that match on error text behave as they do against a real API server.
/// Each check returns an empty list when the value is valid.
/// </summary>
public static partial class NameValidation
{
    public const int Dns1123LabelMaxLength = 63;
    public const int Dns1123SubdomainMaxLength = 253;
    public const int Dns1035LabelMaxLength = 63;
    public const int QualifiedNameMaxLength = 63;
    public const int LabelValueMaxLength = 63;
    public const int ConfigMapKeyMaxLength = 253;

    private const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123LabelErrMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    private const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    private const string Dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    private const string Dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1035LabelErrMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
    private const string QnameCharFmt = "[A-Za-z0-9]";
    private const string QnameExtCharFmt = "[-A-Za-z0-9_.]";
    private const string QualifiedNameFmt = "(" + QnameCharFmt + QnameExtCharFmt + "*)?" + QnameCharFmt;
    private const string QualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string LabelValueFmt = "(" + QualifiedNameFmt + ")?";
    private const string LabelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string ConfigMapKeyFmt = "[-._a-zA-Z0-9]+";
    private const string ConfigMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

    [GeneratedRegex("^" + Dns1123LabelFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123LabelRegex();

    [GeneratedRegex("^" + Dns1123SubdomainFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123SubdomainRegex();

    [GeneratedRegex("^" + Dns1035LabelFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1035LabelRegex();

    [GeneratedRegex("^" + QualifiedNameFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^" + LabelValueFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValueRegex();

    [GeneratedRegex("^[-a-z0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PortNameCharsetRegex();

    [GeneratedRegex("^" + ConfigMapKeyFmt + "$", RegexOptions.CultureInvariant)]
    private static partial Regex ConfigMapKeyRegex();

    public static IReadOnlyList<string> IsDns1123Label(string value)
    {
        var errors = new List<string>();
        if (value.Length > Dns1123LabelMaxLength) errors.Add(MaxLenError(Dns1123LabelMaxLength));
        if (!Dns1123LabelRegex().IsMatch(value)) errors.Add(RegexError(Dns1123LabelErrMsg, Dns1123LabelFmt, "my-name", "123-abc"));
        return errors;
    }

    public static IReadOnlyList<string> IsDns1123Subdomain(string value)
    {
        var errors = new List<string>();
        if (value.Length > Dns1123SubdomainMaxLength) errors.Add(MaxLenError(Dns1123SubdomainMaxLength));
        if (!Dns1123SubdomainRegex().IsMatch(value)) errors.Add(RegexError(Dns1123SubdomainErrMsg, Dns1123SubdomainFmt, "example.com"));
        return errors;
    }

    /// <summary>Service names must also be valid DNS-1035 labels (they become DNS names that may not start with a digit).</summary>
    public static IReadOnlyList<string> IsDns1035Label(string value)
    {
        var errors = new List<string>();
        if (value.Length > Dns1035LabelMaxLength) errors.Add(MaxLenError(Dns1035LabelMaxLength));
        if (!Dns1035LabelRegex().IsMatch(value)) errors.Add(RegexError(Dns1035LabelErrMsg, Dns1035LabelFmt, "my-name", "abc-123"));
        return errors;
    }

    /// <summary>A label or annotation key: an optional DNS-1123 subdomain prefix and '/', then a name of at most 63 characters.</summary>
    public static IReadOnlyList<string> IsQualifiedName(string value)
    {
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0)
                {
                    errors.Add("prefix part " + EmptyError());
                }
                else
                {
                    errors.AddRange(IsDns1123Subdomain(prefix).Select(m => "prefix part " + m));
                }

                break;
            default:
                errors.Add("a qualified name " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc") +
                    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errors;
        }

        if (name.Length == 0) errors.Add("name part " + EmptyError());
        else if (name.Length > QualifiedNameMaxLength) errors.Add("name part " + MaxLenError(QualifiedNameMaxLength));
        if (!QualifiedNameRegex().IsMatch(name)) errors.Add("name part " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        return errors;
    }

    public static IReadOnlyList<string> IsValidLabelValue(string value)
    {
        var errors = new List<string>();
        if (value.Length > LabelValueMaxLength) errors.Add(MaxLenError(LabelValueMaxLength));
        if (!LabelValueRegex().IsMatch(value)) errors.Add(RegexError(LabelValueErrMsg, LabelValueFmt, "MyValue", "my_value", "12345"));
        return errors;
    }

    /// <summary>A key of a ConfigMap's or Secret's data: it becomes a file name when mounted, hence the '.'/'..' rules.</summary>
    public static IReadOnlyList<string> IsConfigMapKey(string value)
    {
        var errors = new List<string>();
        if (value.Length > ConfigMapKeyMaxLength) errors.Add(MaxLenError(ConfigMapKeyMaxLength));
        if (!ConfigMapKeyRegex().IsMatch(value)) errors.Add(RegexError(ConfigMapKeyErrMsg, ConfigMapKeyFmt, "key.name", "KEY_NAME", "key-name"));
        if (value == ".") errors.Add("must not be '.'");
        else if (value == "..") errors.Add("must not be '..'");
        else if (value.StartsWith("..", StringComparison.Ordinal)) errors.Add("must not start with '..'");
        return errors;
    }

    /// <summary>An IANA service name as used for named ports: at most 15 characters, lower-case letters, digits and single hyphens.</summary>
    public static IReadOnlyList<string> IsValidPortName(string value)
    {
        var errors = new List<string>();
        if (value.Length > 15) errors.Add(MaxLenError(15));
        if (!PortNameCharsetRegex().IsMatch(value)) errors.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        if (!value.Any(char.IsAsciiLetterLower)) errors.Add("must contain at least one letter (a-z)");
        if (value.Contains("--", StringComparison.Ordinal)) errors.Add("must not contain consecutive hyphens");
        if (value.Length > 0 && (value[0] == '-' || value[^1] == '-')) errors.Add("must not begin or end with a hyphen");
        return errors;
    }

    public static IReadOnlyList<string> IsValidPortNumber(long port) =>
        port is >= 1 and <= 65535 ? [] : ["must be between 1 and 65535, inclusive"];

    /// <summary>
    /// Any object name becomes a URL path segment, so it may not be '.' or '..' nor contain '/' or '%'
    /// whatever the kind's own rule.
    /// </summary>
    public static IReadOnlyList<string> IsValidPathSegmentName(string value)
    {
        if (value is "." or "..") return [$"may not be '{value}'"];
        var errors = new List<string>();
        foreach (var illegal in new[] { "/", "%" })
        {
            if (value.Contains(illegal, StringComparison.Ordinal)) errors.Add($"may not contain '{illegal}'");
        }

        return errors;
    }

    /// <summary>
    /// Checks a <c>metadata.generateName</c> with a kind's name rule. The server appends a random
    /// suffix, so a trailing '-' (which the rule would reject at the end of a name) is allowed.
    /// </summary>
    public static IReadOnlyList<string> ValidateGenerateName(string generateName, Func<string, IReadOnlyList<string>> nameRule)
    {
        ArgumentNullException.ThrowIfNull(nameRule);
        return nameRule(MaskTrailingDash(generateName));
    }

    /// <summary>Same substitution Kubernetes makes: the final '-' and the character before it are judged as a single 'a'.</summary>
    private static string MaskTrailingDash(string name) =>
        name.Length > 1 && name.EndsWith('-') ? name[..^2] + "a" : name;

    private static string EmptyError() => "must be non-empty";

    private static string MaxLenError(int length) => $"must be no more than {length} characters";

    private static string RegexError(string message, string format, params string[] examples)
    {
        if (examples.Length == 0) return $"{message} (regex used for validation is '{format}')";
        return $"{message} (e.g. {string.Join(" or ", examples.Select(e => $"'{e}'"))}, regex used for validation is '{format}')";
    }
}
