namespace Mesh.Model.Resources;

/// <summary>
/// A character class as RE2 compiles it, as far as <see cref="Re2ProgramSize"/> counts it: which ASCII characters it
/// holds, and whether it holds every non-ASCII character or only some.
/// </summary>
internal sealed class AsciiClass
{
    private readonly bool[] _ascii = new bool[128];
    private bool _allNonAscii;
    private bool _someNonAscii;

    // RE2's Perl classes: \d [0-9], \s [\t\n\f\r ], \w [0-9A-Za-z_]; the capitals are their complements.
    private static readonly Dictionary<char, (int Lo, int Hi)[]> PerlClasses = new()
    {
        ['d'] = [('0', '9')],
        ['s'] = [('\t', '\n'), ('\f', '\r'), (' ', ' ')],
        ['w'] = [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
    };

    private static readonly Dictionary<string, (int Lo, int Hi)[]> PosixClasses = new(StringComparer.Ordinal)
    {
        ["alnum"] = [('0', '9'), ('A', 'Z'), ('a', 'z')],
        ["alpha"] = [('A', 'Z'), ('a', 'z')],
        ["ascii"] = [(0, 0x7F)],
        ["blank"] = [('\t', '\t'), (' ', ' ')],
        ["cntrl"] = [(0, 0x1F), (0x7F, 0x7F)],
        ["digit"] = [('0', '9')],
        ["graph"] = [('!', '~')],
        ["lower"] = [('a', 'z')],
        ["print"] = [(' ', '~')],
        ["punct"] = [('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        ["space"] = [('\t', '\r'), (' ', ' ')],
        ["upper"] = [('A', 'Z')],
        ["word"] = [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
        ["xdigit"] = [('0', '9'), ('A', 'F'), ('a', 'f')],
    };

    public bool IsEmpty => !_allNonAscii && !_someNonAscii && !_ascii.Contains(true);

    public void AddRange(int lo, int hi)
    {
        for (var c = lo; c <= Math.Min(hi, 0x7F); c++)
        {
            _ascii[c] = true;
        }

        if (hi >= 0x80)
        {
            _someNonAscii = true;
        }
    }

    /// <summary>\d, \s, \w, or a capital: their complement, which holds every non-ASCII character.</summary>
    public void AddPerlClass(char name) => AddRanges(PerlClasses[char.ToLowerInvariant(name)], complement: char.IsUpper(name));

    /// <summary>A POSIX class's name as written between "[:" and ":]", with its '^' if negated.</summary>
    public void AddPosix(string name) => AddRanges(PosixClasses[name.TrimStart('^')], complement: name.StartsWith('^'));

    public void Negate()
    {
        for (var c = 0; c < 128; c++)
        {
            _ascii[c] = !_ascii[c];
        }

        // The complement holds every non-ASCII character only if the class held none; some, if it held some.
        (_allNonAscii, _someNonAscii) = (!_allNonAscii && !_someNonAscii, !_allNonAscii && _someNonAscii);
    }

    /// <summary>
    /// The instructions RE2 certainly compiles this class to: one per range of ASCII characters, less the ranges wholly
    /// in A–Z when both cases of every letter are in (RE2 then matches the lower-case ranges folded), and six for
    /// 80–10FFFF when every non-ASCII character is in.
    /// </summary>
    public long Instructions()
    {
        var folds = true;
        for (var c = 'a'; c <= 'z'; c++)
        {
            folds &= _ascii[c] == _ascii[c - 32];
        }

        long ranges = 0;
        for (var c = 0; c < 128; c++)
        {
            if (!_ascii[c] || (c > 0 && _ascii[c - 1]))
            {
                continue;
            }

            var end = c;
            while (end + 1 < 128 && _ascii[end + 1])
            {
                end++;
            }

            ranges += folds && c >= 'A' && end <= 'Z' ? 0 : 1;
        }

        return ranges + (_allNonAscii ? 6 : 0);
    }

    private void AddRanges((int Lo, int Hi)[] ranges, bool complement)
    {
        var set = new bool[128];
        foreach (var (lo, hi) in ranges)
        {
            for (var c = lo; c <= hi; c++)
            {
                set[c] = true;
            }
        }

        for (var c = 0; c < 128; c++)
        {
            _ascii[c] |= set[c] != complement;
        }

        _allNonAscii |= complement;
    }
}
