using Grainetes.Machinery.Validation;

namespace Grainetes.Machinery.Tests.Validation;

public sealed class NameValidationTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("abc-123")]
    [InlineData("123-abc")]
    [InlineData("0")]
    public void Dns1123Label_accepts(string value) => Assert.Empty(NameValidation.IsDns1123Label(value));

    [Theory]
    [InlineData("")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("A")]
    [InlineData("a.b")]
    [InlineData("a_b")]
    public void Dns1123Label_rejects_with_kubernetes_message(string value)
    {
        var errors = NameValidation.IsDns1123Label(value);

        Assert.Equal(
            ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".Replace(",  or", " or", StringComparison.Ordinal)],
            errors);
    }

    [Fact]
    public void Dns1123Label_limits_length_to_63()
    {
        Assert.Empty(NameValidation.IsDns1123Label(new string('a', 63)));
        Assert.Equal(["must be no more than 63 characters"], NameValidation.IsDns1123Label(new string('a', 64)));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("a")]
    [InlineData("my-app.v1.example")]
    [InlineData("1.2.3")]
    public void Dns1123Subdomain_accepts(string value) => Assert.Empty(NameValidation.IsDns1123Subdomain(value));

    [Theory]
    [InlineData("Example.com")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a_b")]
    [InlineData("")]
    public void Dns1123Subdomain_rejects_with_kubernetes_message(string value)
    {
        Assert.Equal(
            ["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
            NameValidation.IsDns1123Subdomain(value));
    }

    [Fact]
    public void Dns1123Subdomain_limits_length_to_253()
    {
        var ok = string.Join(".", new string('a', 63), new string('b', 63), new string('c', 63), new string('d', 61));
        Assert.Equal(253, ok.Length);
        Assert.Empty(NameValidation.IsDns1123Subdomain(ok));
        Assert.Contains("must be no more than 253 characters", NameValidation.IsDns1123Subdomain(new string('a', 254)));
    }

    [Theory]
    [InlineData("my-svc", true)]
    [InlineData("1svc", false)]
    [InlineData("svc-", false)]
    public void Dns1035Label_requires_leading_letter(string value, bool valid)
    {
        Assert.Equal(valid, NameValidation.IsDns1035Label(value).Count == 0);
    }

    [Theory]
    [InlineData("app")]
    [InlineData("App_Name.x")]
    [InlineData("example.com/app")]
    [InlineData("kubernetes.io/metadata.name")]
    [InlineData("a")]
    public void QualifiedName_accepts(string value) => Assert.Empty(NameValidation.IsQualifiedName(value));

    [Theory]
    [InlineData("", "name part must be non-empty")]
    [InlineData("/a", "prefix part must be non-empty")]
    [InlineData("example.com/", "name part must be non-empty")]
    [InlineData("Example.com/a", "prefix part a lowercase RFC 1123 subdomain must consist of")]
    [InlineData("a/b/c", "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
    [InlineData("-a", "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")]
    [InlineData("a b", "name part must consist of")]
    public void QualifiedName_rejects(string value, string messageStart)
    {
        var errors = NameValidation.IsQualifiedName(value);

        Assert.Contains(errors, e => e.StartsWith(messageStart.Replace(",  or", " or", StringComparison.Ordinal), StringComparison.Ordinal));
    }

    [Fact]
    public void QualifiedName_limits_name_part_to_63()
    {
        Assert.Empty(NameValidation.IsQualifiedName("example.com/" + new string('a', 63)));
        Assert.Equal(["name part must be no more than 63 characters"], NameValidation.IsQualifiedName("example.com/" + new string('a', 64)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("v1")]
    [InlineData("My_Value.1")]
    public void LabelValue_accepts(string value) => Assert.Empty(NameValidation.IsValidLabelValue(value));

    [Theory]
    [InlineData("-v")]
    [InlineData("v-")]
    [InlineData("a b")]
    [InlineData("a/b")]
    public void LabelValue_rejects_with_kubernetes_message(string value)
    {
        Assert.Equal(
            ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".Replace(", or", " or", StringComparison.Ordinal)],
            NameValidation.IsValidLabelValue(value));
    }

    [Fact]
    public void LabelValue_limits_length_to_63()
    {
        Assert.Empty(NameValidation.IsValidLabelValue(new string('v', 63)));
        Assert.Equal(["must be no more than 63 characters"], NameValidation.IsValidLabelValue(new string('v', 64)));
    }

    [Theory]
    [InlineData("key.name", new string[0])]
    [InlineData("KEY_NAME", new string[0])]
    [InlineData(".hidden", new string[0])]
    [InlineData(".", new[] { "must not be '.'" })]
    [InlineData("..", new[] { "must not be '..'" })]
    [InlineData("..a", new[] { "must not start with '..'" })]
    public void ConfigMapKey_rules(string key, string[] expected)
    {
        Assert.Equal(expected, NameValidation.IsConfigMapKey(key));
    }

    [Fact]
    public void ConfigMapKey_rejects_slash_with_kubernetes_message()
    {
        Assert.Equal(
            ["a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name' or 'KEY_NAME' or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
            NameValidation.IsConfigMapKey("a/b"));
    }

    [Theory]
    [InlineData("web-", true)]
    [InlineData("web", true)]
    [InlineData("a-", true)]
    [InlineData("-", false)]
    [InlineData("Web-", false)]
    [InlineData("web--", true)] // Kubernetes masks the last two characters, so this passes there too.
    [InlineData("we_b-", false)]
    public void GenerateName_allows_trailing_dash(string generateName, bool valid)
    {
        Assert.Equal(valid, NameValidation.ValidateGenerateName(generateName, NameValidation.IsDns1123Subdomain).Count == 0);
    }

    [Theory]
    [InlineData("http", true)]
    [InlineData("http-2", true)]
    [InlineData("8080", false)]
    [InlineData("a--b", false)]
    [InlineData("-http", false)]
    [InlineData("HTTP", false)]
    [InlineData("abcdefghijklmnop", false)]
    public void PortName_follows_iana_service_name_rules(string name, bool valid)
    {
        Assert.Equal(valid, NameValidation.IsValidPortName(name).Count == 0);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(65535, true)]
    [InlineData(0, false)]
    [InlineData(65536, false)]
    public void PortNumber_range(long port, bool valid)
    {
        Assert.Equal(valid, NameValidation.IsValidPortNumber(port).Count == 0);
    }

    [Theory]
    [InlineData(".", "may not be '.'")]
    [InlineData("..", "may not be '..'")]
    [InlineData("a/b", "may not contain '/'")]
    [InlineData("a%b", "may not contain '%'")]
    public void PathSegmentName_rejects(string name, string message)
    {
        Assert.Equal([message], NameValidation.IsValidPathSegmentName(name));
    }
}
