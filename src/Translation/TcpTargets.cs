namespace Mesh.Translation;

/// <summary>Where a TCP service's port leads: weighted clusters (one for a node provider) and an idle timeout.</summary>
internal sealed record TcpTargets(IReadOnlyList<(string Cluster, uint Weight)> Clusters, TimeSpan? Idle);
