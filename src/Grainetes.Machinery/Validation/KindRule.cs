using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Validation;

/// <summary>How <see cref="ObjectValidator"/> checks one kind beyond the common metadata rules.</summary>
/// <param name="NameRule">The kind's name format, for example <see cref="NameValidation.IsDns1123Subdomain"/>.</param>
/// <param name="Validate">Kind-specific checks of the whole object; reports into the given errors.</param>
public sealed record KindRule(Func<string, IReadOnlyList<string>> NameRule, Action<JsonObject, ValidationErrors>? Validate = null);
