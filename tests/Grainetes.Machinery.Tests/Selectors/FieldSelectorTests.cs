using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Selectors;

namespace Grainetes.Machinery.Tests.Selectors;

public sealed class FieldSelectorTests
{
    private static readonly JsonObject ScheduledPod = JsonNode.Parse("""
        {"kind":"Pod","metadata":{"name":"web-1","namespace":"default"},
         "spec":{"nodeName":"node-1","hostNetwork":false,"priority":10},"status":{"phase":"Running"}}
        """)!.AsObject();

    private static readonly JsonObject PendingPod = JsonNode.Parse("""
        {"kind":"Pod","metadata":{"name":"web-2","namespace":"default"},"spec":{},"status":{"phase":"Pending"}}
        """)!.AsObject();

    private static readonly JsonObject Event = JsonNode.Parse("""
        {"kind":"Event","metadata":{"name":"web-1.17a","namespace":"default"},
         "involvedObject":{"kind":"Pod","name":"web-1","namespace":"default","uid":"u-1"},
         "reason":"Scheduled","type":"Normal","source":{"component":"scheduler"}}
        """)!.AsObject();

    private static readonly JsonObject Node = JsonNode.Parse("""
        {"kind":"Node","metadata":{"name":"node-1"},"spec":{"unschedulable":true}}
        """)!.AsObject();

    [Theory]
    [InlineData("metadata.name=web-1", true)]
    [InlineData("metadata.name==web-1", true)]
    [InlineData("metadata.name=web-2", false)]
    [InlineData("metadata.name!=web-2", true)]
    [InlineData("metadata.name!=web-1", false)]
    [InlineData("metadata.namespace=default", true)]
    [InlineData("spec.nodeName=node-1", true)]
    [InlineData("spec.nodeName=", false)]
    [InlineData("spec.nodeName!=", true)]
    [InlineData("status.phase=Running", true)]
    [InlineData("status.phase!=Running", false)]
    [InlineData("status.phase=Running,spec.nodeName=node-1", true)]
    [InlineData("status.phase=Running,spec.nodeName=node-2", false)]
    [InlineData("spec.hostNetwork=false", true)]
    [InlineData("spec.priority=10", true)]
    [InlineData("spec.missing.deep=", true)]
    [InlineData("", true)]
    public void Matches_scheduled_pod(string text, bool expected)
    {
        Assert.Equal(expected, FieldSelector.Parse(text).Matches(ScheduledPod));
    }

    [Theory]
    [InlineData("spec.nodeName=", true)]
    [InlineData("spec.nodeName==", true)]
    [InlineData("spec.nodeName!=", false)]
    [InlineData("spec.nodeName!=node-1", true)]
    [InlineData("status.phase!=Running", true)]
    public void Missing_field_compares_as_empty_string(string text, bool expected)
    {
        Assert.Equal(expected, FieldSelector.Parse(text).Matches(PendingPod));
    }

    [Theory]
    [InlineData("involvedObject.kind=Pod", true)]
    [InlineData("involvedObject.name=web-1", true)]
    [InlineData("involvedObject.namespace=default", true)]
    [InlineData("involvedObject.uid=u-1", true)]
    [InlineData("involvedObject.uid=u-2", false)]
    [InlineData("reason=Scheduled", true)]
    [InlineData("type=Warning", false)]
    [InlineData("type!=Warning", true)]
    [InlineData("source=scheduler", false)]
    public void Matches_event_top_level_fields(string text, bool expected)
    {
        Assert.Equal(expected, FieldSelector.Parse(text).Matches(Event));
    }

    [Theory]
    [InlineData("spec.unschedulable=true", true)]
    [InlineData("spec.unschedulable=false", false)]
    [InlineData("spec.unschedulable!=true", false)]
    [InlineData("metadata.namespace=", true)]
    public void Booleans_compare_as_true_false(string text, bool expected)
    {
        Assert.Equal(expected, FieldSelector.Parse(text).Matches(Node));
    }

    [Fact]
    public void Escaped_characters_in_values_are_unescaped_before_comparing()
    {
        var obj = JsonNode.Parse("""{"metadata":{"name":"a,b=c\\d"}}""")!.AsObject();

        var selector = FieldSelector.Parse(@"metadata.name=a\,b\=c\\d");

        Assert.Equal(@"a,b=c\d", selector.Requirements[0].Value);
        Assert.True(selector.Matches(obj));
        Assert.Equal(@"metadata.name=a\,b\=c\\d", selector.ToString());
    }

    [Fact]
    public void Escaped_comma_does_not_split_terms()
    {
        var selector = FieldSelector.Parse(@"metadata.name=a\,b,status.phase=Running");

        Assert.Equal(2, selector.Requirements.Count);
        Assert.Equal("a,b", selector.ExactValue("metadata.name"));
    }

    [Theory]
    [InlineData("status.phase=Running,metadata.name=x", "metadata.name=x,status.phase=Running")]
    [InlineData("metadata.name==x", "metadata.name=x")]
    [InlineData("metadata.name!=x", "metadata.name!=x")]
    [InlineData("a=1,,b=2", "a=1,b=2")]
    [InlineData("spec.nodeName=", "spec.nodeName=")]
    public void ToString_is_canonical(string text, string canonical)
    {
        Assert.Equal(canonical, FieldSelector.Parse(text).ToString());
    }

    [Theory]
    [InlineData("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'")]
    [InlineData("a=1,b", "invalid selector: 'a=1,b'; can't understand 'b'")]
    [InlineData("metadata.name=a=b", "invalid field selector: unescaped character in value: =")]
    [InlineData(@"metadata.name=a\x", @"invalid field selector: invalid escape sequence: \x")]
    [InlineData(@"metadata.name=a\", @"invalid field selector: invalid escape sequence: \")]
    public void Invalid_syntax_is_bad_request(string text, string message)
    {
        var e = Assert.Throws<ApiException>(() => FieldSelector.Parse(text));

        Assert.Equal(400, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(",")]
    public void Empty_selects_everything(string? text)
    {
        var selector = FieldSelector.Parse(text);

        Assert.True(selector.IsEverything);
        Assert.Empty(selector.Requirements);
        Assert.True(selector.Matches(PendingPod));
    }

    [Fact]
    public void Requirements_expose_field_operator_and_value()
    {
        var selector = FieldSelector.Parse("spec.nodeName!=n1,metadata.name==p");

        Assert.Equal(
            [
                new FieldRequirement("metadata.name", FieldSelectorOperator.Equals, "p"),
                new FieldRequirement("spec.nodeName", FieldSelectorOperator.NotEquals, "n1"),
            ],
            selector.Requirements);
    }

    [Theory]
    [InlineData("metadata.name=p", "metadata.name", "p")]
    [InlineData("metadata.name==p", "metadata.name", "p")]
    [InlineData("metadata.name!=p", "metadata.name", null)]
    [InlineData("status.phase=Running", "metadata.name", null)]
    [InlineData("spec.nodeName=", "spec.nodeName", "")]
    public void ExactValue_returns_required_value_for_equality_only(string text, string field, string? expected)
    {
        Assert.Equal(expected, FieldSelector.Parse(text).ExactValue(field));
    }

    [Fact]
    public void EnsureSupported_rejects_unknown_field_with_api_server_message()
    {
        var selector = FieldSelector.Parse("metadata.name=x,spec.bogus=y");

        var e = Assert.Throws<ApiException>(() => selector.EnsureSupported(["metadata.name", "metadata.namespace"]));

        Assert.Equal("field label not supported: spec.bogus", e.Message);
        FieldSelector.Parse("metadata.name=x").EnsureSupported(["metadata.name"]);
    }

    [Theory]
    [InlineData("a,b", @"a\,b")]
    [InlineData("a=b", @"a\=b")]
    [InlineData(@"a\b", @"a\\b")]
    [InlineData("plain", "plain")]
    public void EscapeValue_round_trips_through_UnescapeValue(string raw, string escaped)
    {
        Assert.Equal(escaped, FieldSelector.EscapeValue(raw));
        Assert.Equal(raw, FieldSelector.UnescapeValue(escaped));
    }
}
