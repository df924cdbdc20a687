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
/// <c>\Q…\E</c>, <c>\C</c>, <c>\x{…}</c>, the <c>U</c> flag) is not judged at all; otherwise a pattern .NET's parser
/// refuses is refused, since where the two syntaxes share a construct they share its errors; and the constructs RE2
/// leaves out on purpose (backreferences, lookaround, atomic groups, conditionals, <c>\G</c>, more than 1,000
/// repeats), which .NET accepts, are found by a scan of the pattern.
/// </remarks>
public static class Re2Patterns
{
    private const int MaxRepeat = 1000; // RE2's kMaxRepeat

    /// <summary>Why RE2 would refuse <paramref name="pattern"/>, or null when it would not (or this cannot tell).</summary>
    public static string? Problem(string pattern)
    {
        if (HasRe2OnlySyntax(pattern))
        {
            return null;
        }

        try
        {
            // Parsed only, never matched: no input reaches it, so no backtracking cost.
            _ = new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (RegexParseException e)
        {
            return $"is not a valid regular expression ({Describe(e.Error)} at offset {e.Offset.ToString(CultureInfo.InvariantCulture)})";
        }

        return UnsupportedConstruct(pattern);
    }

    private static bool HasRe2OnlySyntax(string pattern) =>
        pattern.Contains("(?P", StringComparison.Ordinal)
        || pattern.Contains("\\p", StringComparison.Ordinal)
        || pattern.Contains("\\P", StringComparison.Ordinal)
        || pattern.Contains("\\Q", StringComparison.Ordinal)
        || pattern.Contains("\\C", StringComparison.Ordinal)
        || pattern.Contains("\\x{", StringComparison.Ordinal)
        || Regex.IsMatch(pattern, @"\(\?[imsU-]*U", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>The first construct RE2 does not have, outside character classes and escapes; null if none.</summary>
    private static string? UnsupportedConstruct(string pattern)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\' when i + 1 < pattern.Length:
                {
                    var next = pattern[i + 1];
                    // RE2 reads \1-\7 followed by an octal digit as an octal code; any other \1-\9 is a backreference.
                    var octal = next is >= '1' and <= '7' && i + 2 < pattern.Length && pattern[i + 2] is >= '0' and <= '7';
                    if ((next is >= '1' and <= '9' && !octal) || next == 'k')
                    {
                        return $"uses a backreference (\\{next} at offset {i}), which RE2, Envoy's regex engine, does not support";
                    }

                    if (next == 'G')
                    {
                        return $"uses \\G (at offset {i}), which RE2, Envoy's regex engine, does not support";
                    }

                    i++;
                    break;
                }

                case '[':
                    i = EndOfClass(pattern, i);
                    break;
                case '(' when i + 2 < pattern.Length && pattern[i + 1] == '?':
                {
                    var kind = pattern[i + 2] switch
                    {
                        '=' or '!' => "a lookahead",
                        '>' => "an atomic group",
                        '(' => "a conditional",
                        '<' when i + 3 < pattern.Length && pattern[i + 3] is '=' or '!' => "a lookbehind",
                        _ => null,
                    };
                    if (kind is not null)
                    {
                        return $"uses {kind} (at offset {i}), which RE2, Envoy's regex engine, does not support";
                    }

                    break;
                }

                case '{':
                {
                    var close = pattern.IndexOf('}', i);
                    if (close > i && Regex.Match(pattern[(i + 1)..close], @"^([0-9]+)(,([0-9]*))?$", RegexOptions.CultureInvariant) is { Success: true } repeat
                        && (Exceeds(repeat.Groups[1].Value) || Exceeds(repeat.Groups[3].Value)))
                    {
                        return $"repeats more than {MaxRepeat} times (at offset {i}), RE2's limit";
                    }

                    break;
                }
            }
        }

        return null;
    }

    private static bool Exceeds(string digits) =>
        digits.Length > 0 && (digits.Length > 4 || int.Parse(digits, CultureInfo.InvariantCulture) > MaxRepeat);

    /// <summary>The index of the <c>]</c> that closes the class opened at <paramref name="open"/> (a leading <c>]</c> or <c>^]</c> is a member).</summary>
    private static int EndOfClass(string pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] == '^')
        {
            i++;
        }

        if (i < pattern.Length && pattern[i] == ']')
        {
            i++;
        }

        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
            {
                i++;
            }
            else if (pattern[i] == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':' && pattern.IndexOf(":]", i + 2, StringComparison.Ordinal) is var end and > 0)
            {
                i = end + 1; // a POSIX class, [:alpha:]
            }
            else if (pattern[i] == ']')
            {
                return i;
            }
        }

        return pattern.Length;
    }

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
        _ => error.ToString(),
    };
}
