using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>
/// What a sidecar's egress listener reads of its <see cref="EgressRouting"/>: the HTTP ports with their route
/// configurations' names, the TCP ports with where they lead, and the passthrough clusters; not the routes or
/// clusters themselves. A route change that alters none of these (a retry policy, a weight, a new upstream node on a
/// known port) leaves every client's egress listener as it was, so a listener built on an older routing is kept when
/// <see cref="SameAs"/> says the new one gives it the same inputs (<see cref="MeshTranslator"/>).
/// </summary>
internal sealed class EgressListenerInputs(
    IReadOnlyList<(int Port, Specs.PortProtocol Protocol, string RouteName)> http,
    IReadOnlyDictionary<int, (string Service, TcpTargets Targets)> tcp,
    string? allowAllCluster,
    string? amazonAwsCluster)
{
    /// <summary>The HTTP ports, ascending, each with its most capable protocol and its route configuration's name.</summary>
    public IReadOnlyList<(int Port, Specs.PortProtocol Protocol, string RouteName)> Http { get; } = http;

    /// <summary>The TCP ports and where each leads (one service per port; an HTTP port of the same number wins).</summary>
    public IReadOnlyDictionary<int, (string Service, TcpTargets Targets)> Tcp { get; } = tcp;

    /// <summary>The ALLOW_ALL passthrough cluster, when the mesh's egress filter allows all.</summary>
    public string? AllowAllCluster { get; } = allowAllCluster;

    /// <summary>The *.amazonaws.com passthrough cluster, when the translator lets it through.</summary>
    public string? AmazonAwsCluster { get; } = amazonAwsCluster;

    /// <summary>Whether a listener built on <paramref name="other"/> is the one built on these (by value, not by reference).</summary>
    public bool SameAs(EgressListenerInputs other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (!Http.SequenceEqual(other.Http)
            || !string.Equals(AllowAllCluster, other.AllowAllCluster, StringComparison.Ordinal)
            || !string.Equals(AmazonAwsCluster, other.AmazonAwsCluster, StringComparison.Ordinal)
            || Tcp.Count != other.Tcp.Count)
        {
            return false;
        }

        foreach (var (port, (service, targets)) in Tcp)
        {
            // TcpTargets' record equality would compare its cluster list by reference: compared by its items here.
            if (!other.Tcp.TryGetValue(port, out var theirs)
                || !string.Equals(service, theirs.Service, StringComparison.Ordinal)
                || targets.Idle != theirs.Targets.Idle
                || !targets.Clusters.SequenceEqual(theirs.Targets.Clusters))
            {
                return false;
            }
        }

        return true;
    }
}
