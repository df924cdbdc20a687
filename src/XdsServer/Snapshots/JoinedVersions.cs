using System.Security.Cryptography;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// The versions of lists made by merging a node's own resources into one sorted list of a shared part
/// (<see cref="ResourceSet.Join"/>): byte for byte <see cref="Hashing.VersionOf(IReadOnlyList{XdsResource})"/> of
/// each merged list, without hashing again, for every identity that joins the part, what they all hash alike. A
/// version is one SHA-256 over the sorted lines, so only two things can be shared:
/// <list type="bullet">
/// <item>the version itself, when an identity's own lines are exactly those of an identity before it (the fleet's
/// clients all have the same two listeners): remembered by those lines, the few most recent;</item>
/// <item>the hash of the shared lines that sort before the node's first own line (the fleet's clients' ingress
/// cluster sorts after the ~50 egress clusters): kept as a hash state per such position, cloned per identity. The
/// lines after it are hashed per identity, but copied from the part's lines encoded once rather than encoded
/// again.</item>
/// </list>
/// Held by the shared part's set, so it lives and dies with the part; its saved states (a native hash context each)
/// are disposed when the part is retired (<see cref="Retire"/>), not left to a finaliser.
/// </summary>
internal sealed class JoinedVersions
{
    // A saved state costs a clone of a native hash context (0.5-0.7 µs) where hashing the lines it stands for again
    // costs about 1.5 ns a byte (both measured at load 24, issue13bb): below this, the lines are hashed again.
    private const int PrefixBytesWorthAState = 512;

    // The own lines of a part's identities are one or a few alike (one per listener port set, per ingress route),
    // or all different (a node's own cluster): a few cover the first, and the second never repeats anyway.
    private const int MaxRemembered = 8;

    // The positions own lines start at: one or two per type in a part (the same kinds of names in every node).
    private const int MaxPrefixes = 4;

    private readonly IReadOnlyList<XdsResource> _shared;
    private readonly Hashing.EncodedLines _lines;
    // Guards what identities built in parallel share: the remembered versions (each entry two fields) and the saved
    // states (a hash object refuses use by two threads at once, even to be cloned).
    private readonly Lock _lock = new();
    private readonly Remembered[] _remembered = new Remembered[MaxRemembered];
    private Prefix[] _prefixes = [];
    private int _oldest;
    private bool _retired;

    public JoinedVersions(IReadOnlyList<XdsResource> shared)
    {
        _shared = shared;
        _lines = new Hashing.EncodedLines(shared);
    }

    /// <summary>
    /// The version of <paramref name="joined"/>: <paramref name="own"/> (sorted, not empty, no name repeated or
    /// also the shared list's) merged into the shared list.
    /// </summary>
    public string VersionOf(XdsResource[] own, XdsResource[] joined)
    {
        lock (_lock)
        {
            foreach (var remembered in _remembered)
            {
                if (remembered.IsFor(own))
                {
                    return remembered.Version;
                }
            }
        }

        var version = Hash(own, joined);
        lock (_lock)
        {
            // In the oldest slot: a part whose identities' own lines all differ (as their own clusters do) then
            // allocates nothing for them here.
            _remembered[_oldest] = new Remembered(own, version);
            _oldest = (_oldest + 1) % MaxRemembered;
        }

        return version;
    }

    private string Hash(XdsResource[] own, XdsResource[] joined)
    {
        // The shared lines before the node's first own line are joined's first lines, as they are the shared list's.
        var first = SharedBefore(own[0].Name);

        // This join's own copy of a saved state: the saved one is touched only under the lock (Retire).
        using var before = _lines.Start(first) >= PrefixBytesWorthAState ? PrefixState(first) : null;
        var lines = Hashing.Lines.For(_lines.Start(_lines.Count) - (before is null ? 0 : _lines.Start(first)), own.Length);
        if (before is null)
        {
            lines.Add(_lines.Of(0, first));
        }

        // The rest in joined's order: each run of shared lines copied at once, each own line encoded.
        var s = first;
        var o = 0;
        for (var i = first; i < joined.Length;)
        {
            if (o < own.Length && ReferenceEquals(joined[i], own[o]))
            {
                lines.Add(own[o].Name, own[o].Version);
                o++;
                i++;
                continue;
            }

            var run = s;
            while (i < joined.Length && (o == own.Length || !ReferenceEquals(joined[i], own[o])))
            {
                i++;
                s++;
            }

            lines.Add(_lines.Of(run, s));
        }

        return before is null ? lines.Version() : lines.Version(before);
    }

    /// <summary>How many of the shared list's names sort before <paramref name="name"/> (ordinal).</summary>
    private int SharedBefore(string name)
    {
        var (low, high) = (0, _shared.Count);
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (string.CompareOrdinal(_shared[middle].Name, name) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>
    /// Disposes the saved states and saves no more: the part was replaced (<see cref="SharedPartLifetime"/>). Under
    /// the lock, as every use of a saved state is, so a join in flight is never left with a disposed one: it holds
    /// only a copy, made under the lock and its own to dispose. A join after this hashes the shared lines again,
    /// to the same version.
    /// </summary>
    public void Retire()
    {
        lock (_lock)
        {
            _retired = true;
            foreach (var prefix in _prefixes)
            {
                prefix.State.Dispose();
            }

            _prefixes = [];
        }
    }

    /// <summary>The hash states saved now (none once retired), for the tests of their lifetime.</summary>
    internal IReadOnlyList<IncrementalHash> SavedStates
    {
        get
        {
            lock (_lock)
            {
                return [.. _prefixes.Select(p => p.State)];
            }
        }
    }

    /// <summary>
    /// A copy of the SHA-256 state after the first <paramref name="lines"/> shared lines, made once per position
    /// (at most a few); null when the position is not kept or the part is retired.
    /// </summary>
    private IncrementalHash? PrefixState(int lines)
    {
        lock (_lock)
        {
            if (_retired)
            {
                return null;
            }

            foreach (var prefix in _prefixes)
            {
                if (prefix.Lines == lines)
                {
                    return prefix.State.Clone();
                }
            }

            if (_prefixes.Length == MaxPrefixes)
            {
                return null;
            }

            var state = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            state.AppendData(_lines.Of(0, lines));
            _prefixes = [.. _prefixes, new Prefix(lines, state)];
            return state.Clone();
        }
    }

    /// <summary>The hash of the shared list's first <see cref="Lines"/> lines; never finished, only cloned.</summary>
    private sealed record Prefix(int Lines, IncrementalHash State);

    /// <summary>A version by the exact own lines it was hashed with (names and versions compared, not a hash of them).</summary>
    private readonly record struct Remembered(XdsResource[]? Own, string Version)
    {
        public bool IsFor(XdsResource[] own)
        {
            if (Own is null || own.Length != Own.Length)
            {
                return false;
            }

            for (var i = 0; i < own.Length; i++)
            {
                if (!string.Equals(own[i].Name, Own[i].Name, StringComparison.Ordinal) || !string.Equals(own[i].Version, Own[i].Version, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
