using System.Globalization;

namespace Mesh.Model.Resources;

/// <summary>
/// What RE2 refuses in a pattern .NET has parsed: RE2's syntax is mostly a subset of .NET's, and this scan finds
/// where it is not, by RE2's own rules (its parser, <c>re2/parse.cc</c>): backreferences, lookaround, atomic groups,
/// conditionals and comments; escapes RE2 does not have (<c>\Z</c>, <c>\e</c>, <c>\u</c>, <c>\c</c>, <c>\b</c> in a
/// class, …) or reads otherwise; flags other than <c>i</c>, <c>m</c>, <c>s</c> and <c>U</c>; POSIX classes it does
/// not name; a count over 1,000, and nested counts whose product is over 1,000 (<c>(a{2}b{600}){2}</c>: RE2 expands
/// counted repetitions, and refuses more than 1,000 copies of anything).
/// </summary>
internal static class Re2Constructs
{
    private const int MaxRepeat = 1000; // RE2's kMaxRepeat

    private const string Engine = "RE2, Envoy's regex engine,";

    // RE2's escapes outside a class (besides octal and hex codes and ASCII punctuation), and inside one.
    private const string EscapesOutside = "AbBdDsSwWzaftnrv";
    private const string EscapesInClass = "dDsSwWaftnrv";

    private static readonly HashSet<string> PosixClasses = new(StringComparer.Ordinal)
    {
        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "word", "xdigit",
    };

    /// <summary>The first construct of <paramref name="pattern"/> that RE2 refuses, as a reason; null if none.</summary>
    public static string? FirstRefused(string pattern)
    {
        // Per open group: the largest product of nested counts in it so far. "last" is that of the latest atom, which a
        // count multiplies (0: none, after '|' or a group's start).
        var groups = new Stack<(long Largest, long Last)>();
        var (largest, last) = (1L, 0L);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\':
                {
                    if (Escape(pattern, i, inClass: false, out var end) is { } problem)
                    {
                        return problem;
                    }

                    i = end;
                    (largest, last) = (Math.Max(largest, 1), 1);
                    break;
                }

                case '[':
                {
                    if (Class(pattern, i, out var end) is { } problem)
                    {
                        return problem;
                    }

                    i = end;
                    (largest, last) = (Math.Max(largest, 1), 1);
                    break;
                }

                case '(':
                {
                    if (Group(pattern, i, out var flagsOnly, out var end) is { } problem)
                    {
                        return problem;
                    }

                    i = end;
                    if (!flagsOnly)
                    {
                        groups.Push((largest, last));
                        (largest, last) = (1, 0);
                    }

                    break;
                }

                case ')' when groups.Count > 0:
                {
                    var inner = largest;
                    (largest, _) = groups.Pop();
                    (largest, last) = (Math.Max(largest, inner), inner);
                    break;
                }

                case '|':
                    last = 0;
                    break;
                case '{' when Count(pattern, i) is { } count:
                {
                    if (count.Min > MaxRepeat || count.Max > MaxRepeat)
                    {
                        return $"repeats more than {MaxRepeat} times (at offset {At(i)}), RE2's limit";
                    }

                    // RE2 divides 1,000 by each count (its maximum, or its minimum when it has none) from the outside in.
                    var times = count.Max ?? count.Min;
                    if (times > 0 && last > 0)
                    {
                        last = Math.Min(last * times, MaxRepeat + 1L);
                        largest = Math.Max(largest, last);
                        if (last > MaxRepeat)
                        {
                            return $"repeats a counted repetition inside another (at offset {At(i)}) more than {MaxRepeat} times in all, RE2's limit";
                        }
                    }

                    i = count.End;
                    break;
                }

                case '*' or '+' or '?':
                    break;
                default:
                    (largest, last) = (Math.Max(largest, 1), 1);
                    break;
            }
        }

        return null;
    }

    /// <summary>An escape at <paramref name="at"/>, by RE2's rules; <paramref name="end"/> is its last character.</summary>
    private static string? Escape(string pattern, int at, bool inClass, out int end)
    {
        end = at + 1;
        if (end >= pattern.Length)
        {
            return null; // .NET refused it already
        }

        var c = pattern[end];
        switch (c)
        {
            case >= '1' and <= '9':
                // RE2 reads \1-\7 followed by an octal digit as an octal code (and up to one digit more); any other is a backreference.
                if (c > '7' || end + 1 >= pattern.Length || pattern[end + 1] is < '0' or > '7')
                {
                    return inClass
                        ? $"uses the escape \\{c} in a character class (at offset {At(at)}), which {Engine} reads only as an octal code of two or three digits (\\101)"
                        : $"uses a backreference (\\{c} at offset {At(at)}), which {Engine} does not support";
                }

                end += end + 2 < pattern.Length && pattern[end + 2] is >= '0' and <= '7' ? 2 : 1;
                return null;
            case '0':
                for (var digits = 0; digits < 2 && end + 1 < pattern.Length && pattern[end + 1] is >= '0' and <= '7'; digits++)
                {
                    end++;
                }

                return null;
            case 'x':
                if (end + 2 < pattern.Length && char.IsAsciiHexDigit(pattern[end + 1]) && char.IsAsciiHexDigit(pattern[end + 2]))
                {
                    end += 2;
                    return null;
                }

                return $"uses the escape \\x (at offset {At(at)}) without two hex digits, which {Engine} needs (\\x41, or \\x{{41}})";
            case 'k':
                return $"uses a backreference (\\k at offset {At(at)}), which {Engine} does not support";
            case 'G':
                return $"uses \\G (at offset {At(at)}), which {Engine} does not support";
        }

        if ((inClass ? EscapesInClass : EscapesOutside).Contains(c, StringComparison.Ordinal) || (char.IsAscii(c) && !char.IsAsciiLetterOrDigit(c)))
        {
            return null;
        }

        var hint = c switch
        {
            'Z' => "; \\z is the end of the text",
            'e' => "; write \\x1B",
            'u' => "; write \\x{…}",
            'b' or 'B' or 'A' or 'z' when inClass => ", in a character class",
            _ => "",
        };
        return $"uses the escape \\{c} (at offset {At(at)}), which {Engine} does not have{hint}";
    }

    /// <summary>A character class at <paramref name="open"/>; <paramref name="end"/> is its closing ']'.</summary>
    private static string? Class(string pattern, int open, out int end)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] == '^')
        {
            i++;
        }

        if (i < pattern.Length && pattern[i] == ']')
        {
            i++; // a leading ']' is a member
        }

        for (; i < pattern.Length && pattern[i] != ']'; i++)
        {
            if (pattern[i] == '\\')
            {
                if (Escape(pattern, i, inClass: true, out var escapeEnd) is { } problem)
                {
                    end = i;
                    return problem;
                }

                i = escapeEnd;
            }
            else if (pattern[i] == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':' && pattern.IndexOf(":]", i + 2, StringComparison.Ordinal) is var close and > 0)
            {
                var name = pattern[(i + 2)..close].TrimStart('^');
                if (!PosixClasses.Contains(name))
                {
                    end = i;
                    return $"names the character class [:{name}:] (at offset {At(i)}), which {Engine} does not have";
                }

                i = close + 1;
            }
        }

        end = i;
        return null;
    }

    /// <summary>
    /// A group's opening at <paramref name="open"/>; <paramref name="end"/> is its last character. A flag group,
    /// <c>(?i)</c>, opens nothing (<paramref name="flagsOnly"/>).
    /// </summary>
    private static string? Group(string pattern, int open, out bool flagsOnly, out int end)
    {
        flagsOnly = false;
        end = open;
        if (open + 1 >= pattern.Length || pattern[open + 1] != '?')
        {
            return null; // a capturing group
        }

        var kind = open + 2 < pattern.Length ? pattern[open + 2] : '\0';
        var refused = kind switch
        {
            '=' or '!' => "a lookahead",
            '>' => "an atomic group",
            '(' => "a conditional",
            '#' => "a comment group",
            '\'' => "a named group written (?'name')",
            '<' when open + 3 < pattern.Length && pattern[open + 3] is '=' or '!' => "a lookbehind",
            _ => null,
        };
        if (refused is not null)
        {
            return $"uses {refused} (at offset {At(open)}), which {Engine} does not support";
        }

        if (kind == '<')
        {
            end = pattern.IndexOf('>', open);
            return null; // (?<name>…): RE2 has it since 2023 (Envoy's), as (?P<name>…) before
        }

        // Flags, RE2's way: any of i, m, s and U, then at most one '-' and at least one flag after it; then ')' or ':'.
        var (negated, flagsAfterNegation) = (false, false);
        for (var i = open + 2; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c is ')' or ':')
            {
                if (negated && !flagsAfterNegation)
                {
                    return $"has a '-' with no flag after it (at offset {At(open)}), which {Engine} refuses";
                }

                flagsOnly = c == ')';
                end = i;
                return null;
            }

            if (c == '-')
            {
                if (negated)
                {
                    return $"has a second '-' among its flags (at offset {At(open)}), which {Engine} refuses";
                }

                negated = true;
            }
            else if (c is 'i' or 'm' or 's' or 'U')
            {
                flagsAfterNegation |= negated;
            }
            else
            {
                return $"uses the flag '{c}' (at offset {At(open)}), which {Engine} does not have (it has i, m, s and U)";
            }
        }

        return null; // .NET refused an unclosed group already
    }

    /// <summary>
    /// A counted repetition at <paramref name="open"/> ('{'), RE2's forms only: {n}, {n,} and {n,m}; <c>End</c> is its
    /// '}'. Null when the '{' is literal. (Also what <see cref="Re2Tree"/> reads counts with.)
    /// </summary>
    internal static (long Min, long? Max, int End)? Count(string pattern, int open)
    {
        var close = pattern.IndexOf('}', open);
        if (close < 0)
        {
            return null;
        }

        var body = pattern.AsSpan(open + 1, close - open - 1);
        var comma = body.IndexOf(',');
        var minText = comma < 0 ? body : body[..comma];
        if (!Number(minText, out var min))
        {
            return null; // a literal '{', in RE2 as in .NET
        }

        if (comma < 0)
        {
            return (min, min, close);
        }

        var maxText = body[(comma + 1)..];
        if (maxText.Length == 0)
        {
            return (min, null, close);
        }

        return Number(maxText, out var max) ? (min, max, close) : null;
    }

    /// <summary>ASCII digits only, capped far above RE2's limit so that a long run does not overflow.</summary>
    private static bool Number(ReadOnlySpan<char> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (var d in digits)
        {
            if (!char.IsAsciiDigit(d))
            {
                return false;
            }

            value = Math.Min(value * 10 + (d - '0'), 1_000_000);
        }

        return true;
    }

    private static string At(int offset) => offset.ToString(CultureInfo.InvariantCulture);
}
