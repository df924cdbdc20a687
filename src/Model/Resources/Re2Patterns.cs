using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.Model.Resources;

/// <summary>
/// Whether a route's regex is one Envoy can load. Envoy compiles every <c>safe_regex</c> with RE2 and rejects the whole
/// response that carries one it cannot compile (a NACK of the proxy's entire route configuration), so a regex RE2
/// refuses is answered here, at the API, with where it is and why.
/// </summary>
/// <remarks>
/// There is no RE2 in .NET, so this judges only what it can judge exactly, and lets everything else through to Envoy
/// (whose NACK proxy status shows): a pattern with syntax only RE2 has (<c>(?P&lt;name&gt;</c>, <c>\p{Greek}</c>,
/// <c>\Q…\E</c>, <c>\C</c>, <c>\x{…}</c>, the <c>U</c> flag, a repeated flag group) is not judged at all; otherwise a
/// pattern .NET's parser refuses is refused, since where the two syntaxes share a construct they share its errors;
/// and what .NET accepts and RE2 does not is found by a scan by RE2's rules (<see cref="Re2Constructs"/>). The tests
/// hold both halves to the real RE2 (Debian's libre2) over random patterns: nothing refused here compiles there, and
/// of what is judged, nothing it refuses is let through.
/// </remarks>
public static class Re2Patterns
{
    /// <summary>Why RE2 would refuse <paramref name="pattern"/>, or null when it would not (or this cannot tell).</summary>
    public static string? Problem(string pattern)
    {
        if (HasRe2OnlySyntax(pattern))
        {
            return null;
        }

        var (forDotNet, underscores) = WithoutEscapedUnderscores(pattern);
        try
        {
            // Parsed only, never matched: no input reaches it, so no backtracking cost.
            _ = new Regex(forDotNet, RegexOptions.CultureInvariant);
        }
        catch (RegexParseException e)
        {
            // The offset in the pattern as written: one more for each "\_" before it.
            var offset = e.Offset + underscores.Count(at => at < e.Offset);
            return $"is not a valid regular expression ({Describe(e.Error)} at offset {offset.ToString(CultureInfo.InvariantCulture)})";
        }

        if (Re2Constructs.FirstRefused(pattern) is { } refused)
        {
            return refused;
        }

        var instructions = Re2ProgramSize.LowerBound(pattern);
        return instructions > Re2ProgramSize.EnvoyLimit
            ? $"compiles to at least {instructions.ToString(CultureInfo.InvariantCulture)} RE2 instructions, over the {Re2ProgramSize.EnvoyLimit.ToString(CultureInfo.InvariantCulture)} "
                + "Envoy allows (re2.max_program_size.error_level, as Mesh's bootstraps and App Mesh's Envoy image set it); a counted repetition "
                + "is compiled once per count, so a smaller count or a '+' or '*' makes it small"
            : null;
    }

    /// <summary>
    /// The pattern with each <c>\_</c> (an escaped '_', which RE2 reads as '_' and .NET refuses) written '_', for .NET's
    /// parser, and where each was in the result.
    /// </summary>
    private static (string Pattern, List<int> Positions) WithoutEscapedUnderscores(string pattern)
    {
        if (!pattern.Contains("\\_", StringComparison.Ordinal))
        {
            return (pattern, []);
        }

        var result = new System.Text.StringBuilder(pattern.Length);
        var positions = new List<int>();
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                if (pattern[i + 1] == '_')
                {
                    positions.Add(result.Length);
                }
                else
                {
                    result.Append('\\');
                }

                i++;
            }

            result.Append(pattern[i]);
        }

        return (result.ToString(), positions);
    }

    /// <summary>Whether <see cref="Problem"/> judges <paramref name="pattern"/> at all: not when it has syntax only RE2 has.</summary>
    public static bool Judges(string pattern) => !HasRe2OnlySyntax(pattern);

    private static bool HasRe2OnlySyntax(string pattern) =>
        pattern.Contains("(?P", StringComparison.Ordinal)
        || pattern.Contains("\\p", StringComparison.Ordinal)
        || pattern.Contains("\\P", StringComparison.Ordinal)
        || pattern.Contains("\\Q", StringComparison.Ordinal)
        || pattern.Contains("\\C", StringComparison.Ordinal)
        || pattern.Contains("\\x{", StringComparison.Ordinal)
        || pattern.Contains("(?)", StringComparison.Ordinal) // an empty flag group, which .NET refuses
        // A count with a leading zero or of ten digits or more is literal text to RE2, a count to .NET.
        || Regex.IsMatch(pattern, @"\{(?:[0-9]+,)?(?:0[0-9]|[0-9]{10})", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
        || pattern.Contains("-[", StringComparison.Ordinal) // in a class, .NET's class subtraction; RE2's range up to '['
        || Regex.IsMatch(pattern, @"\(\?[imsU-]*U", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
        // RE2 repeats what precedes a flag group, "a(?i)*"; .NET calls it a repetition of nothing.
        || Regex.IsMatch(pattern, @"\(\?[a-zA-Z-]*\)[*+?{]", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static string Describe(RegexParseError error) => error switch
    {
        RegexParseError.InsufficientClosingParentheses => "a '(' is not closed",
        RegexParseError.InsufficientOpeningParentheses => "a ')' closes nothing",
        RegexParseError.UnterminatedBracket => "a '[' is not closed",
        RegexParseError.QuantifierAfterNothing => "a repetition follows nothing",
        RegexParseError.NestedQuantifiersNotParenthesized => "a repetition repeats a repetition",
        RegexParseError.ReversedCharacterRange => "a character range runs backwards",
        RegexParseError.ReversedQuantifierRange => "a repetition's minimum is above its maximum",
        RegexParseError.UnescapedEndingBackslash => "it ends with a lone '\\'",
        RegexParseError.UnrecognizedEscape => "an escape is not one regular expressions have",
        RegexParseError.QuantifierOrCaptureGroupOutOfRange => "a repetition count is too large",
        RegexParseError.UndefinedNumberedReference or RegexParseError.UndefinedNamedReference => "a backreference names no group, and RE2 has no backreferences",
        RegexParseError.InsufficientOrInvalidHexDigits => "an escape \\x needs two hex digits",
        RegexParseError.ShorthandClassInCharacterRange => "a character range ends in a class such as \\d",
        RegexParseError.InvalidGroupingConstruct => "a group opens with '(?' and nothing RE2 reads after it",
        RegexParseError.UnterminatedComment => "a comment is not closed",
        RegexParseError.MissingControlCharacter or RegexParseError.UnrecognizedControlCharacter => "an escape \\c, which RE2 does not have",
        RegexParseError.InvalidUnicodePropertyEscape or RegexParseError.MalformedUnicodePropertyEscape or RegexParseError.UnrecognizedUnicodeProperty => "a \\p or \\P escape is malformed",
        _ => error.ToString(),
    };
}
