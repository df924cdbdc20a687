using System.Runtime.CompilerServices;
using Mesh.Translation;

namespace Mesh.XdsServer.Snapshots;

/// <summary>
/// The consistency problems of routings' shared parts (<see cref="ProxyResourceParts.Shared"/>) already logged for
/// one mesh graph, so that a problem every identity of a routing has is logged once per graph, not once per identity
/// (hundreds of identical error lines per change, and one more per identity connecting later). Every identity it
/// rejects is still rejected, counted and shows its own problems in proxy status: only the log line is spared.
/// <para>
/// What "the same problem" is, from what <see cref="ResourceConsistency"/> reports (a list of texts per translation):
/// a text that the identity's shared part reports when it is checked alone. Such a problem is the shared part's own:
/// it stands at one of the shared part's resources and is about what that part has or lacks, and the identity's own
/// resources did not mend it; it reads the same, and means the same, for every identity joined to that part. Every
/// other problem is the identity's own, logged for each identity even when two identities' texts are equal: a node's
/// own resources are named alike across nodes (every node's listeners are <c>lds_ingress_0.0.0.0_15000</c> and
/// <c>lds_egress_0.0.0.0_15001</c>), so equal texts about an own listener, an own route configuration or the clusters
/// of its own backends are each a problem of its own. A translation that is not joined has no shared part, and all its
/// problems are its own. Texts are compared as counts, so an own problem that reads like one of the shared part's
/// (two nameless clusters, one in each part) is still the identity's own. Equal texts of two shared parts of one graph
/// (two routings with the same broken route configuration) are one problem: they name the same resources.
/// </para>
/// <para>
/// Bounded and released with the graph: one per <c>MeshState</c>, dropped when a change replaces the graph (so a
/// problem that persists, or comes back, is logged again once per new graph); at most <see cref="Capacity"/> texts are
/// remembered, and a problem past that is logged for every identity, as before, never left unlogged. The shared
/// part's own problems are read once per part (checked alone, only when an identity of it was rejected) and kept only
/// while the part lives.
/// </para>
/// </summary>
internal sealed class SharedPartProblems(int capacity = SharedPartProblems.DefaultCapacity)
{
    public const int DefaultCapacity = 4096;

    private readonly Lock _lock = new();
    private readonly HashSet<string> _logged = new(StringComparer.Ordinal);

    // By shared part: the problems it has checked alone, each text with how many times it is reported.
    private readonly ConditionalWeakTable<ProxyResources, Dictionary<string, int>> _ofPart = new();

    /// <summary>How many problem texts this graph remembers as logged.</summary>
    public int Capacity => capacity;

    /// <summary>
    /// Sorts the <paramref name="problems"/> of <paramref name="translation"/> (its consistency check) into its own
    /// and its shared part's, and records the shared part's as logged: whether the rejection is to be logged now.
    /// </summary>
    public RejectionLogging Record(ProxyResources translation, IReadOnlyList<string> problems)
    {
        if (ProxyResourceParts.Of(translation) is not { } parts)
        {
            return RejectionLogging.Own;
        }

        var ofPart = _ofPart.GetValue(parts.Shared, static shared => Counted(ResourceConsistency.Check(shared)));
        if (ofPart.Count == 0)
        {
            return RejectionLogging.Own;
        }

        var own = 0;
        List<string>? shared = null;
        foreach (var (text, count) in Counted(problems))
        {
            var ofShared = Math.Min(count, ofPart.GetValueOrDefault(text));
            own += count - ofShared;
            if (ofShared > 0)
            {
                (shared ??= []).Add(text);
            }
        }

        if (shared is null)
        {
            return RejectionLogging.Own;
        }

        var first = false;
        lock (_lock)
        {
            foreach (var text in shared)
            {
                // Past the capacity a text is not remembered, so it is logged each time: more lines, none missing.
                first |= _logged.Count < capacity ? _logged.Add(text) : !_logged.Contains(text);
            }
        }

        return own > 0 || first ? RejectionLogging.WithSharedPart : RejectionLogging.LoggedBefore;
    }

    private static Dictionary<string, int> Counted(IReadOnlyList<string> problems)
    {
        var counted = new Dictionary<string, int>(problems.Count, StringComparer.Ordinal);
        foreach (var problem in problems)
        {
            counted[problem] = counted.GetValueOrDefault(problem) + 1;
        }

        return counted;
    }
}

/// <summary>How a rejected identity's consistency problems are logged (<see cref="SharedPartProblems.Record"/>).</summary>
internal enum RejectionLogging
{
    /// <summary>None of its problems is its shared part's: logged, as every rejection was.</summary>
    Own,

    /// <summary>Some are its shared part's, and it has its own too or one of them is logged for the first time in this graph: logged.</summary>
    WithSharedPart,

    /// <summary>Its problems are all its shared part's and were logged in this graph: not logged again (debug).</summary>
    LoggedBefore,
}
