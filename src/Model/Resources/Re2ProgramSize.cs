namespace Mesh.Model.Resources;

/// <summary>
/// A lower bound of the size of the program RE2 compiles a pattern to, which Envoy compares with its runtime's
/// <c>re2.max_program_size.error_level</c> (1,000 in Mesh's bootstraps and in App Mesh's Envoy image) and refuses the
/// whole route configuration above it. Counted repetitions are what make programs large: RE2 compiles a copy of what
/// it repeats for each count, so <c>[a-zA-Z0-9._-]{1,255}</c> is about 1,280 instructions and <c>.{1,200}</c> about 1,800.
/// </summary>
/// <remarks>
/// Only instructions RE2 certainly emits are counted, for a pattern <see cref="Re2Patterns"/> has judged valid: one per
/// copy of an ASCII literal; one per range of ASCII bytes a class holds (less the ranges wholly in A–Z when the class
/// holds both cases of every letter: RE2 folds them), and six more when it holds every non-ASCII character (<c>.</c>,
/// <c>[^a]</c>: RE2's fixed encoding of 80–10FFFF); nothing for non-ASCII literals and other classes (RE2 shares parts of
/// them), anchors and captures. A repetition counts its largest number of copies, but its smallest when another is
/// beside it or past literals and classes beside it (RE2 merges <c>a{2,5}a*</c> into <c>a{2,}</c>). Of a group's alternatives only the largest counts, with a
/// class as one (RE2 factors alternatives and merges their classes). Literals after a <c>^</c> count nothing (RE2
/// matches a leading literal outside the program). The tests hold the bound to the real RE2 over random patterns.
/// </remarks>
public static class Re2ProgramSize
{
    /// <summary>The runtime limit Mesh's bootstraps and App Mesh's Envoy image set (<c>re2.max_program_size.error_level</c>).</summary>
    public const int EnvoyLimit = 1000;

    // Every program has a failing instruction and a match.
    private const int Fixed = 2;

    /// <summary>How many instructions RE2 compiles <paramref name="pattern"/> to at least; the pattern must be valid.</summary>
    public static long LowerBound(string pattern)
    {
        var tree = new Re2Tree(pattern);
        var parts = tree.Parse();

        // A class that holds nothing can never match: RE2 drops what holds it, maybe all, and this does not follow it.
        return tree.HasEmptyClass ? 1 : Fixed + Alternatives(parts, merged: false, tree.FoldsCase, tree.DotAll);
    }

    private static long Alternatives(List<List<Re2Tree.Element>> alternatives, bool merged, bool foldsCase, bool dotAll)
    {
        if (alternatives.Count == 1)
        {
            return Concatenation(alternatives[0], merged, foldsCase, dotAll);
        }

        long largest = 0;
        foreach (var alternative in alternatives)
        {
            largest = Math.Max(largest, Concatenation(alternative, merged: true, foldsCase, dotAll));
        }

        return largest;
    }

    /// <summary>
    /// Whether RE2 may merge repetition <paramref name="i"/> with another in its concatenation: one beside it, or past
    /// literals and classes beside it (<c>a{0,9}aa*</c> is <c>a+</c>). RE2 merges only repetitions of the same thing;
    /// which are the same is not worked out here.
    /// </summary>
    private static bool MayMerge(List<Re2Tree.Element> elements, int i)
    {
        if (!elements[i].Quantified)
        {
            return false;
        }

        foreach (var step in (ReadOnlySpan<int>)[-1, 1])
        {
            for (var j = i + step; j >= 0 && j < elements.Count; j += step)
            {
                if (elements[j].Quantified)
                {
                    return true;
                }

                if (elements[j].Atom is not (Re2Tree.Literal or Re2Tree.Class))
                {
                    break;
                }
            }
        }

        return false;
    }

    private static long Concatenation(List<Re2Tree.Element> elements, bool merged, bool foldsCase, bool dotAll)
    {
        long sum = 0;
        for (var i = 0; i < elements.Count; i++)
        {
            var e = elements[i];
            var copies = e.Max is null || MayMerge(elements, i) ? e.Min : e.Max.Value;
            if (copies == 0 || e.InRequiredPrefix)
            {
                continue;
            }

            var one = e.Atom switch
            {
                Re2Tree.Literal literal => literal.Ascii ? 1 : 0,
                Re2Tree.Class c when merged || (foldsCase && !c.IsDot) => 1,
                Re2Tree.Class { IsDot: true } => dotAll ? 7 : 8, // [^\n]: two ASCII ranges; with s, one; and 80–10FFFF
                Re2Tree.Class c => c.Set.Instructions(),
                Re2Tree.Group g => Alternatives(g.Alternatives, merged, foldsCase, dotAll),
                _ => 0,
            };
            sum += one * copies;
        }

        return sum;
    }
}
