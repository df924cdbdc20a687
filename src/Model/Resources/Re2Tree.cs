namespace Mesh.Model.Resources;

/// <summary>
/// A valid pattern as the parts <see cref="Re2ProgramSize"/> counts: alternatives of concatenations of atoms (literals,
/// classes, groups, anchors), each with its repetition. Only for patterns <see cref="Re2Patterns"/> has judged valid.
/// </summary>
internal sealed class Re2Tree(string pattern)
{
    private int _at;

    /// <summary>Whether a flag group turns on case folding: then a class counts as one (its folded ranges are not worked out).</summary>
    public bool FoldsCase { get; } = HasFlag(pattern, 'i');

    /// <summary>Whether a flag group lets '.' match a newline: then '.' counts as with it.</summary>
    public bool DotAll { get; } = HasFlag(pattern, 's');

    internal abstract record Atom;

    internal sealed record Literal(bool Ascii) : Atom;

    internal sealed record Class(AsciiClass Set, bool IsDot) : Atom;

    internal sealed record Group(List<List<Element>> Alternatives, bool Capturing) : Atom;

    internal sealed record Anchor(bool Start) : Atom;

    /// <param name="InRequiredPrefix">A literal (or a class) right after a start anchor, which RE2 may match outside the program.</param>
    internal sealed record Element(Atom Atom, long Min, long? Max, bool Quantified, bool InRequiredPrefix);

    /// <summary>Whether a class holds no character at all (<c>[^\d\D]</c>): RE2 compiles what holds it to nothing.</summary>
    public bool HasEmptyClass { get; private set; }

    public List<List<Element>> Parse() => Alternatives();

    private List<List<Element>> Alternatives()
    {
        var alternatives = new List<List<Element>> { Concatenation() };
        while (_at < pattern.Length && pattern[_at] == '|')
        {
            _at++;
            alternatives.Add(Concatenation());
        }

        return alternatives;
    }

    private List<Element> Concatenation()
    {
        var elements = new List<Element>();
        while (_at < pattern.Length && pattern[_at] is not ('|' or ')'))
        {
            if (NextAtom() is not { } atom)
            {
                continue; // a flag group
            }

            var (min, max, quantified) = Quantifier();
            if (atom is Group { Capturing: false, Alternatives.Count: 1 } group && !quantified)
            {
                // RE2's parser flattens a group that neither captures nor alternates into what holds it.
                elements.AddRange(group.Alternatives[0]);
            }
            else
            {
                elements.Add(new Element(atom, min, max, quantified, InRequiredPrefix: false));
            }
        }

        // Literals (or classes: one of one character is a literal to RE2) after a start anchor may be its prefix.
        var afterStart = false;
        for (var i = 0; i < elements.Count; i++)
        {
            var e = elements[i];
            var inPrefix = afterStart && e.Atom is Literal or Class && !e.Quantified;
            afterStart = e.Atom is Anchor { Start: true } || inPrefix;
            elements[i] = e with { InRequiredPrefix = inPrefix };
        }

        return elements;
    }

    private Atom? NextAtom()
    {
        var c = pattern[_at++];
        switch (c)
        {
            case '(':
            {
                var capturing = pattern[_at] != '?' || pattern[_at + 1] == '<';
                if (SkipGroupPrefix())
                {
                    return null;
                }

                var group = new Group(Alternatives(), capturing);
                _at++; // ')'
                return group;
            }

            case '[':
                return ClassAt(_at - 1);
            case '.':
                return new Class(new AsciiClass(), IsDot: true);
            case '^':
                return new Anchor(Start: true);
            case '$':
                return new Anchor(Start: false);
            case '\\':
                return Escape();
            default:
                return new Literal(c < 0x80);
        }
    }

    /// <summary>Skips what follows '(' up to the group's content; true for a flag group, "(?i)", which holds nothing.</summary>
    private bool SkipGroupPrefix()
    {
        if (pattern[_at] != '?')
        {
            return false;
        }

        if (pattern[_at + 1] == '<')
        {
            _at = pattern.IndexOf('>', _at) + 1; // (?<name>
            return false;
        }

        while (pattern[_at] is not (')' or ':'))
        {
            _at++;
        }

        return pattern[_at++] == ')';
    }

    private (long Min, long? Max, bool Quantified) Quantifier()
    {
        if (_at >= pattern.Length)
        {
            return (1, 1, false);
        }

        (long Min, long? Max)? repeat;
        switch (pattern[_at])
        {
            case '*':
                repeat = (0, null);
                _at++;
                break;
            case '+':
                repeat = (1, null);
                _at++;
                break;
            case '?':
                repeat = (0, 1);
                _at++;
                break;
            case '{':
                repeat = Count();
                break;
            default:
                repeat = null;
                break;
        }

        if (repeat is null)
        {
            return (1, 1, false);
        }

        if (_at < pattern.Length && pattern[_at] == '?')
        {
            _at++; // lazy
        }

        return (repeat.Value.Min, repeat.Value.Max, true);
    }

    /// <summary>A counted repetition at '{', consumed; null, nothing consumed, for a literal '{'.</summary>
    private (long Min, long? Max)? Count()
    {
        if (Re2Constructs.Count(pattern, _at) is not { } count)
        {
            return null;
        }

        _at = count.End + 1;
        return (count.Min, count.Max);
    }

    private Atom Escape()
    {
        var c = pattern[_at++];
        switch (c)
        {
            case 'A':
                return new Anchor(Start: true);
            case 'b' or 'B' or 'z':
                return new Anchor(Start: false);
            case 'd' or 'D' or 's' or 'S' or 'w' or 'W':
            {
                var set = new AsciiClass();
                set.AddPerlClass(c);
                return new Class(set, IsDot: false);
            }

            default:
                _at -= 2;
                var (code, next) = EscapedCode(_at);
                _at = next;
                return new Literal(code < 0x80);
        }
    }

    /// <summary>The class at <paramref name="open"/> ('['), consumed.</summary>
    private Class ClassAt(int open)
    {
        var end = EndOfClass(open);
        var set = new AsciiClass();
        var i = open + 1;
        var negated = pattern[i] == '^';
        if (negated)
        {
            i++;
        }

        while (i < end)
        {
            if (pattern[i] == '[' && i + 1 < end && pattern[i + 1] == ':')
            {
                var close = pattern.IndexOf(":]", i + 2, StringComparison.Ordinal);
                set.AddPosix(pattern[(i + 2)..close]);
                i = close + 2;
                continue;
            }

            if (pattern[i] == '\\' && pattern[i + 1] is 'd' or 'D' or 's' or 'S' or 'w' or 'W')
            {
                set.AddPerlClass(pattern[i + 1]);
                i += 2;
                continue;
            }

            int lo;
            (lo, i) = pattern[i] == '\\' ? EscapedCode(i) : (pattern[i], i + 1);
            var hi = lo;
            if (i + 1 < end && pattern[i] == '-')
            {
                (hi, i) = pattern[i + 1] == '\\' ? EscapedCode(i + 1) : (pattern[i + 1], i + 2);
            }

            set.AddRange(lo, hi);
        }

        _at = end + 1;
        if (negated)
        {
            set.Negate();
        }

        HasEmptyClass |= set.IsEmpty;

        return new Class(set, IsDot: false);
    }

    /// <summary>The character an escape at <paramref name="at"/> ('\') stands for, and the index after it.</summary>
    private (int Code, int Next) EscapedCode(int at)
    {
        var c = pattern[at + 1];
        switch (c)
        {
            case 'x':
                return (Convert.ToInt32(pattern.Substring(at + 2, 2), 16), at + 4);
            case >= '0' and <= '7':
            {
                var (code, i) = (c - '0', at + 2);
                for (var digits = 0; digits < 2 && i < pattern.Length && pattern[i] is >= '0' and <= '7'; digits++)
                {
                    code = code * 8 + (pattern[i++] - '0');
                }

                return (code, i);
            }

            case 'a': return (7, at + 2);
            case 'f': return (12, at + 2);
            case 't': return (9, at + 2);
            case 'n': return (10, at + 2);
            case 'r': return (13, at + 2);
            case 'v': return (11, at + 2);
            default: return (c, at + 2);
        }
    }

    private int EndOfClass(int open)
    {
        var i = open + 1;
        if (pattern[i] == '^')
        {
            i++;
        }

        if (pattern[i] == ']')
        {
            i++; // a leading ']' is a member
        }

        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
            {
                i++;
            }
            else if (pattern[i] == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':' && pattern.IndexOf(":]", i + 2, StringComparison.Ordinal) is var end and > 0)
            {
                i = end + 1;
            }
            else if (pattern[i] == ']')
            {
                return i;
            }
        }

        return pattern.Length;
    }

    private static bool HasFlag(string pattern, char flag)
    {
        for (var at = pattern.IndexOf("(?", StringComparison.Ordinal); at >= 0; at = pattern.IndexOf("(?", at + 2, StringComparison.Ordinal))
        {
            for (var i = at + 2; i < pattern.Length && pattern[i] is not (')' or ':' or '<'); i++)
            {
                if (pattern[i] == flag)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
