using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Selectors;
using k8s.Models;

namespace Grainetes.Machinery.Tests.Selectors;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Labels = new()
    {
        ["app"] = "web",
        ["tier"] = "frontend",
        ["example.com/owner"] = "team-a",
        ["empty"] = "",
        ["replicas"] = "5",
    };

    private static V1LabelSelectorRequirement Expr(string key, string op, List<string>? values = null) =>
        new() { Key = key, OperatorProperty = op, Values = values };

    [Theory]
    [InlineData("app=web", "app=web")]
    [InlineData("app==web", "app==web")]
    [InlineData("app!=web", "app!=web")]
    [InlineData("  app  =  web  ", "app=web")]
    [InlineData("tier in (frontend,backend)", "tier in (backend,frontend)")]
    [InlineData("tier  in(frontend , backend)", "tier in (backend,frontend)")]
    [InlineData("tier notin (a)", "tier notin (a)")]
    [InlineData("app", "app")]
    [InlineData("!app", "!app")]
    [InlineData("! app", "!app")]
    [InlineData("z=1,a=2,m", "a=2,m,z=1")]
    [InlineData("example.com/owner=team-a", "example.com/owner=team-a")]
    [InlineData("app=", "app=")]
    [InlineData("app=,tier", "app=,tier")]
    [InlineData("x in ()", "x in ()")]
    [InlineData("x in (,a)", "x in (,a)")]
    [InlineData("x in (a,)", "x in (,a)")]
    [InlineData("x=in", "x=in")]
    [InlineData("replicas>3", "replicas>3")]
    [InlineData("replicas<3", "replicas<3")]
    public void Parse_valid_text_prints_canonical_form(string text, string canonical)
    {
        var selector = LabelSelector.Parse(text);

        Assert.Equal(canonical, selector.ToString());
        Assert.Equal(canonical, LabelSelector.Parse(selector.ToString()).ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_empty_selects_everything(string? text)
    {
        var selector = LabelSelector.Parse(text);

        Assert.True(selector.IsEverything);
        Assert.False(selector.IsNothing);
        Assert.True(selector.Matches(new Dictionary<string, string>()));
        Assert.True(selector.Matches((IReadOnlyDictionary<string, string>?)null));
        Assert.Equal("", selector.ToString());
    }

    [Theory]
    [InlineData("app=web,", "found '', expected: identifier after ','")]
    [InlineData(",app", "found ',', expected: !, identifier, or 'end of string'")]
    [InlineData("app web", "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("app=web tier", "found 'tier', expected: ',' or 'end of string'")]
    [InlineData("tier in frontend", "unable to parse requirement: found 'frontend' expected: '('")]
    [InlineData("tier in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'")]
    [InlineData("tier in (a", "unable to parse requirement: found '', expected: ',' or ')'")]
    [InlineData("app==(x)", "unable to parse requirement: found '(', expected: identifier")]
    [InlineData("!", "unable to parse requirement: found '', expected: identifier")]
    [InlineData("!app=web", "found '=', expected: ',' or 'end of string'")]
    [InlineData("replicas>abc", "unable to parse requirement: values[0]: Invalid value: \"abc\": for 'Gt', 'Lt' operators, the value must be an integer")]
    public void Parse_invalid_syntax_is_bad_request_with_kubernetes_message(string text, string message)
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.Parse(text));

        Assert.Equal(400, e.Code);
        Assert.Equal("BadRequest", e.Reason);
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("-app=x", "key: Invalid value: \"-app\": name part must consist of alphanumeric characters")]
    [InlineData("a/b/c=x", "key: Invalid value: \"a/b/c\": a qualified name must consist of")]
    [InlineData("Example.com/app=x", "key: Invalid value: \"Example.com/app\": prefix part a lowercase RFC 1123 subdomain")]
    [InlineData("/app", "key: Invalid value: \"/app\": prefix part must be non-empty")]
    [InlineData("app=-web", "values[0][app]: Invalid value: \"-web\": a valid label must be an empty string")]
    [InlineData("app in (ok,bad-)", "values[0][app]: Invalid value: \"bad-\": a valid label must be an empty string")]
    public void Parse_invalid_key_or_value_names_the_offending_part(string text, string messageStart)
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.Parse(text));

        Assert.StartsWith("unable to parse requirement: " + messageStart, e.Message);
    }

    [Fact]
    public void Parse_rejects_a_key_name_longer_than_63_characters()
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.Parse(new string('a', 64)));

        Assert.Contains("name part must be no more than 63 characters", e.Message);
    }

    [Fact]
    public void Parse_rejects_a_value_longer_than_63_characters()
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.Parse("app=" + new string('a', 64)));

        Assert.Contains("must be no more than 63 characters", e.Message);
    }

    [Theory]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app=db", false)]
    [InlineData("app!=db", true)]
    [InlineData("app!=web", false)]
    [InlineData("missing!=x", true)]
    [InlineData("tier in (frontend,backend)", true)]
    [InlineData("tier in (backend)", false)]
    [InlineData("missing in (x)", false)]
    [InlineData("tier notin (backend)", true)]
    [InlineData("tier notin (frontend)", false)]
    [InlineData("missing notin (x)", true)]
    [InlineData("app", true)]
    [InlineData("missing", false)]
    [InlineData("!missing", true)]
    [InlineData("!app", false)]
    [InlineData("empty=", true)]
    [InlineData("empty", true)]
    [InlineData("empty in ()", true)]
    [InlineData("example.com/owner=team-a", true)]
    [InlineData("app=web,tier=frontend", true)]
    [InlineData("app=web,tier=backend", false)]
    [InlineData("replicas>3", true)]
    [InlineData("replicas>5", false)]
    [InlineData("replicas<6", true)]
    [InlineData("app>3", false)]
    [InlineData("missing>3", false)]
    public void Matches_applies_kubernetes_semantics(string text, bool expected)
    {
        Assert.Equal(expected, LabelSelector.Parse(text).Matches(Labels));
    }

    [Fact]
    public void Matches_json_object_reads_metadata_labels()
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p","labels":{"app":"web","n":5}}}""")!.AsObject();

        Assert.True(LabelSelector.Parse("app=web").Matches(pod));
        Assert.False(LabelSelector.Parse("app=db").Matches(pod));
        Assert.False(LabelSelector.Parse("n").Matches(pod));
        Assert.True(LabelSelector.Parse("!n").Matches(pod));
    }

    [Fact]
    public void Matches_json_object_without_labels_sees_no_labels()
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p"}}""")!.AsObject();

        Assert.True(LabelSelector.Parse("app!=web").Matches(pod));
        Assert.False(LabelSelector.Parse("app").Matches(pod));
        Assert.True(LabelSelector.Everything.Matches(pod));
    }

    [Fact]
    public void FromModel_null_selects_nothing()
    {
        var selector = LabelSelector.FromModel(null);

        Assert.True(selector.IsNothing);
        Assert.False(selector.IsEverything);
        Assert.False(selector.Matches(Labels));
        Assert.False(selector.Matches(new Dictionary<string, string>()));
        Assert.False(selector.Matches(JsonNode.Parse("""{"metadata":{}}""")!.AsObject()));
    }

    [Fact]
    public void FromModel_empty_selects_everything()
    {
        var selector = LabelSelector.FromModel(new V1LabelSelector());

        Assert.True(selector.IsEverything);
        Assert.True(selector.Matches(Labels));
    }

    [Fact]
    public void FromModel_combines_match_labels_and_expressions_sorted_by_key()
    {
        var selector = LabelSelector.FromModel(new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["tier"] = "frontend", ["app"] = "web" },
            MatchExpressions =
            [
                Expr("env", "In", ["prod", "dev"]),
                Expr("canary", "DoesNotExist"),
                Expr("zone", "NotIn", ["b"]),
                Expr("app", "Exists"),
            ],
        });

        Assert.Equal("app=web,app,!canary,env in (dev,prod),tier=frontend,zone notin (b)", selector.ToString());
        Assert.True(selector.Matches(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "frontend", ["env"] = "prod" }));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "frontend", ["env"] = "qa" }));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "frontend", ["env"] = "prod", ["canary"] = "1" }));
    }

    [Fact]
    public void FromModel_rejects_unknown_operator()
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.FromModel(new V1LabelSelector
        {
            MatchExpressions = [Expr("app", "Equals", ["x"])],
        }));

        Assert.Equal(400, e.Code);
        Assert.Equal("\"Equals\" is not a valid label selector operator", e.Message);
    }

    [Fact]
    public void FromModel_rejects_in_without_values()
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.FromModel(new V1LabelSelector
        {
            MatchExpressions = [Expr("app", "In", [])],
        }));

        Assert.Equal("values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty", e.Message);
    }

    [Fact]
    public void FromModel_rejects_exists_with_values()
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.FromModel(new V1LabelSelector
        {
            MatchExpressions = [Expr("app", "Exists", ["x"])],
        }));

        Assert.Equal("values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist", e.Message);
    }

    [Fact]
    public void FromModel_rejects_invalid_match_label_value()
    {
        var e = Assert.Throws<ApiException>(() => LabelSelector.FromModel(new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["app"] = "no spaces" },
        }));

        Assert.StartsWith("values[0][app]: Invalid value: \"no spaces\"", e.Message);
    }

    [Fact]
    public void FromJson_reads_wire_selector_like_FromModel()
    {
        var json = JsonNode.Parse("""{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["frontend"]}]}""");

        var selector = LabelSelector.FromJson(json);

        Assert.Equal("app=web,tier in (frontend)", selector.ToString());
        Assert.True(selector.Matches(Labels));
    }

    [Fact]
    public void FromJson_null_selects_nothing_and_empty_everything()
    {
        Assert.True(LabelSelector.FromJson(null).IsNothing);
        Assert.True(LabelSelector.FromJson(JsonNode.Parse("{}")).IsEverything);
    }

    [Fact]
    public void Requirements_are_sorted_by_key_with_sorted_distinct_values()
    {
        var selector = LabelSelector.Parse("b in (z,y,z),a");

        Assert.Collection(
            selector.Requirements,
            r =>
            {
                Assert.Equal("a", r.Key);
                Assert.Equal(LabelSelectorOperator.Exists, r.Operator);
                Assert.Empty(r.Values);
            },
            r =>
            {
                Assert.Equal("b", r.Key);
                Assert.Equal(LabelSelectorOperator.In, r.Operator);
                Assert.Equal(["y", "z"], r.Values);
            });
    }

    [Fact]
    public void Requirements_with_same_content_are_equal()
    {
        Assert.Equal(LabelSelector.Parse("a in (x,y)").Requirements[0], LabelSelector.Parse("a in (y,x)").Requirements[0]);
        Assert.Equal(LabelSelector.Parse("a in (x,y)").Requirements[0].GetHashCode(), LabelSelector.Parse("a in (y,x)").Requirements[0].GetHashCode());
    }
}
