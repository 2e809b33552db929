using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Validation;

namespace Grainetes.Machinery.Selectors;

/// <summary>
/// A port of k8s.io/apimachinery/pkg/labels' lexer and parser, kept close to the original so that
/// what kubectl accepts, rejects and the error messages it gets back all agree with Kubernetes.
/// </summary>
internal sealed class LabelSelectorParser
{
    private static readonly string[] SpecialTokens = ["!", "!=", "(", ")", ",", "=", "==", ">", "<"];
    private const string BinaryOperators = "in, notin, =, ==, !=, gt, lt";

    private readonly List<(TokenKind Kind, string Literal)> tokens;
    private int position;

    private LabelSelectorParser(string text)
    {
        tokens = Lex(text);
    }

    private enum TokenKind
    {
        Error,
        EndOfString,
        Identifier,
        In,
        NotIn,
        DoesNotExist,
        Equals,
        DoubleEquals,
        NotEquals,
        GreaterThan,
        LessThan,
        OpenParen,
        ClosedParen,
        Comma,
    }

    /// <summary>In a values context the keywords <c>in</c>/<c>notin</c> are ordinary identifiers.</summary>
    private enum Context
    {
        KeyAndOperator,
        Values,
    }

    public static List<LabelRequirement> Parse(string text) => new LabelSelectorParser(text).ParseAll();

    /// <summary>Kubernetes' <c>NewRequirement</c>: every way a requirement can be invalid, joined as one message.</summary>
    public static LabelRequirement CreateRequirement(string key, LabelSelectorOperator op, IReadOnlyList<string> values)
    {
        var errors = new List<string>();
        var keyErrors = NameValidation.IsQualifiedName(key);
        if (keyErrors.Count > 0) errors.Add($"key: Invalid value: {Quote(key)}: {string.Join("; ", keyErrors)}");
        switch (op)
        {
            case LabelSelectorOperator.In or LabelSelectorOperator.NotIn when values.Count == 0:
                errors.Add($"values: Invalid value: {FormatList(values)}: for 'in', 'notin' operators, values set can't be empty");
                break;
            case LabelSelectorOperator.Equals or LabelSelectorOperator.DoubleEquals or LabelSelectorOperator.NotEquals when values.Count != 1:
                errors.Add($"values: Invalid value: {FormatList(values)}: exact-match compatibility requires one single value");
                break;
            case LabelSelectorOperator.Exists or LabelSelectorOperator.DoesNotExist when values.Count != 0:
                errors.Add($"values: Invalid value: {FormatList(values)}: values set must be empty for exists and does not exist");
                break;
            case LabelSelectorOperator.GreaterThan or LabelSelectorOperator.LessThan when values.Count != 1:
                errors.Add($"values: Invalid value: {FormatList(values)}: for 'Gt', 'Lt' operators, exactly one value is required");
                break;
            case LabelSelectorOperator.GreaterThan or LabelSelectorOperator.LessThan:
                if (!long.TryParse(values[0], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"values[0]: Invalid value: {Quote(values[0])}: for 'Gt', 'Lt' operators, the value must be an integer");
                }

                break;
        }

        for (var i = 0; i < values.Count; i++)
        {
            var valueErrors = NameValidation.IsValidLabelValue(values[i]);
            if (valueErrors.Count > 0) errors.Add($"values[{i}][{key}]: Invalid value: {Quote(values[i])}: {string.Join("; ", valueErrors)}");
        }

        if (errors.Count == 1) throw new LabelSelectorSyntaxException(errors[0]);
        if (errors.Count > 1) throw new LabelSelectorSyntaxException($"[{string.Join(", ", errors)}]");
        return new LabelRequirement(key, op, values);
    }

    private List<LabelRequirement> ParseAll()
    {
        var requirements = new List<LabelRequirement>();
        while (true)
        {
            var (kind, literal) = Lookahead(Context.Values);
            switch (kind)
            {
                case TokenKind.Identifier or TokenKind.DoesNotExist:
                    try
                    {
                        requirements.Add(ParseRequirement());
                    }
                    catch (LabelSelectorSyntaxException e)
                    {
                        throw ApiException.BadRequest($"unable to parse requirement: {e.Message}");
                    }

                    var (next, nextLiteral) = Consume(Context.Values);
                    switch (next)
                    {
                        case TokenKind.EndOfString:
                            return requirements;
                        case TokenKind.Comma:
                            var (after, afterLiteral) = Lookahead(Context.Values);
                            if (after is not (TokenKind.Identifier or TokenKind.DoesNotExist))
                            {
                                throw ApiException.BadRequest($"found '{afterLiteral}', expected: identifier after ','");
                            }

                            break;
                        default:
                            throw ApiException.BadRequest($"found '{nextLiteral}', expected: ',' or 'end of string'");
                    }

                    break;
                case TokenKind.EndOfString:
                    return requirements;
                default:
                    throw ApiException.BadRequest($"found '{literal}', expected: !, identifier, or 'end of string'");
            }
        }
    }

    private LabelRequirement ParseRequirement()
    {
        var (key, op) = ParseKeyAndInferOperator();
        if (op is LabelSelectorOperator.Exists or LabelSelectorOperator.DoesNotExist)
        {
            return CreateRequirement(key, op.Value, []);
        }

        var binary = ParseOperator();
        var values = binary is LabelSelectorOperator.In or LabelSelectorOperator.NotIn ? ParseValues() : ParseExactValue();
        return CreateRequirement(key, binary, values.Order(StringComparer.Ordinal).ToList());
    }

    private (string Key, LabelSelectorOperator? Operator) ParseKeyAndInferOperator()
    {
        LabelSelectorOperator? op = null;
        var (kind, literal) = Consume(Context.Values);
        if (kind == TokenKind.DoesNotExist)
        {
            op = LabelSelectorOperator.DoesNotExist;
            (kind, literal) = Consume(Context.Values);
        }

        if (kind != TokenKind.Identifier) throw new LabelSelectorSyntaxException($"found '{literal}', expected: identifier");
        var keyErrors = NameValidation.IsQualifiedName(literal);
        if (keyErrors.Count > 0) throw new LabelSelectorSyntaxException($"key: Invalid value: {Quote(literal)}: {string.Join("; ", keyErrors)}");
        if (Lookahead(Context.Values).Kind is TokenKind.EndOfString or TokenKind.Comma && op is null)
        {
            op = LabelSelectorOperator.Exists;
        }

        return (literal, op);
    }

    private LabelSelectorOperator ParseOperator()
    {
        var (kind, literal) = Consume(Context.KeyAndOperator);
        return kind switch
        {
            TokenKind.In => LabelSelectorOperator.In,
            TokenKind.NotIn => LabelSelectorOperator.NotIn,
            TokenKind.Equals => LabelSelectorOperator.Equals,
            TokenKind.DoubleEquals => LabelSelectorOperator.DoubleEquals,
            TokenKind.NotEquals => LabelSelectorOperator.NotEquals,
            TokenKind.GreaterThan => LabelSelectorOperator.GreaterThan,
            TokenKind.LessThan => LabelSelectorOperator.LessThan,
            _ => throw new LabelSelectorSyntaxException($"found '{literal}', expected: {BinaryOperators}"),
        };
    }

    private HashSet<string> ParseValues()
    {
        var (kind, literal) = Consume(Context.Values);
        if (kind != TokenKind.OpenParen) throw new LabelSelectorSyntaxException($"found '{literal}' expected: '('");
        (kind, literal) = Lookahead(Context.Values);
        switch (kind)
        {
            case TokenKind.Identifier or TokenKind.Comma:
                var values = ParseIdentifiersList();
                if (Consume(Context.Values).Kind != TokenKind.ClosedParen) throw new LabelSelectorSyntaxException($"found '{literal}', expected: ')'");
                return values;
            case TokenKind.ClosedParen:
                // Kubernetes reads "()" as the set holding only the empty value.
                Consume(Context.Values);
                return [""];
            default:
                throw new LabelSelectorSyntaxException($"found '{literal}', expected: ',', ')' or identifier");
        }
    }

    private HashSet<string> ParseIdentifiersList()
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var (kind, literal) = Consume(Context.Values);
            switch (kind)
            {
                case TokenKind.Identifier:
                    values.Add(literal);
                    var (next, nextLiteral) = Lookahead(Context.Values);
                    if (next == TokenKind.Comma) continue;
                    if (next == TokenKind.ClosedParen) return values;
                    throw new LabelSelectorSyntaxException($"found '{nextLiteral}', expected: ',' or ')'");
                case TokenKind.Comma:
                    // A comma with nothing before or after it stands for the empty value: "(,a)", "(a,)", "(a,,b)".
                    if (values.Count == 0) values.Add("");
                    var following = Lookahead(Context.Values).Kind;
                    if (following == TokenKind.ClosedParen)
                    {
                        values.Add("");
                        return values;
                    }

                    if (following == TokenKind.Comma)
                    {
                        Consume(Context.Values);
                        values.Add("");
                    }

                    break;
                default:
                    throw new LabelSelectorSyntaxException($"found '{literal}', expected: ',', or identifier");
            }
        }
    }

    private HashSet<string> ParseExactValue()
    {
        if (Lookahead(Context.Values).Kind is TokenKind.EndOfString or TokenKind.Comma) return [""];
        var (kind, literal) = Consume(Context.Values);
        if (kind == TokenKind.Identifier) return [literal];
        throw new LabelSelectorSyntaxException($"found '{literal}', expected: identifier");
    }

    private (TokenKind Kind, string Literal) Lookahead(Context context) => Adjust(tokens[position], context);

    private (TokenKind Kind, string Literal) Consume(Context context)
    {
        var token = tokens[position];
        if (position < tokens.Count - 1) position++;
        return Adjust(token, context);
    }

    private static (TokenKind Kind, string Literal) Adjust((TokenKind Kind, string Literal) token, Context context) =>
        context == Context.Values && token.Kind is TokenKind.In or TokenKind.NotIn ? (TokenKind.Identifier, token.Literal) : token;

    private static List<(TokenKind, string)> Lex(string text)
    {
        var result = new List<(TokenKind, string)>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && IsWhitespace(text[i])) i++;
            if (i >= text.Length)
            {
                result.Add((TokenKind.EndOfString, ""));
                return result;
            }

            if (IsSpecial(text[i]))
            {
                // Longest run of special characters that still spells a token, as the Go lexer does.
                var start = i;
                string? best = null;
                var j = i;
                while (j < text.Length && IsSpecial(text[j]))
                {
                    var candidate = text[start..(j + 1)];
                    if (SpecialTokens.Contains(candidate))
                    {
                        best = candidate;
                    }
                    else if (best is not null)
                    {
                        break;
                    }

                    j++;
                }

                if (best is null)
                {
                    result.Add((TokenKind.Error, $"error expected: keyword found '{text[start..j]}'"));
                    i = j;
                    continue;
                }

                i = start + best.Length;
                result.Add((best switch
                {
                    "!" => TokenKind.DoesNotExist,
                    "!=" => TokenKind.NotEquals,
                    "(" => TokenKind.OpenParen,
                    ")" => TokenKind.ClosedParen,
                    "," => TokenKind.Comma,
                    "=" => TokenKind.Equals,
                    "==" => TokenKind.DoubleEquals,
                    ">" => TokenKind.GreaterThan,
                    _ => TokenKind.LessThan,
                }, best));
                continue;
            }

            var begin = i;
            while (i < text.Length && !IsWhitespace(text[i]) && !IsSpecial(text[i])) i++;
            var word = text[begin..i];
            result.Add((word switch
            {
                "in" => TokenKind.In,
                "notin" => TokenKind.NotIn,
                _ => TokenKind.Identifier,
            }, word));
        }
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private static bool IsSpecial(char c) => c is '=' or '!' or '(' or ')' or ',' or '>' or '<';

    private static string Quote(string value) => GoFormat.Quote(value);

    /// <summary>Go's <c>%#v</c> of a <c>[]string</c>, which is how Kubernetes prints the values in these messages.</summary>
    private static string FormatList(IReadOnlyList<string> values) => GoFormat.StringList(values);
}
