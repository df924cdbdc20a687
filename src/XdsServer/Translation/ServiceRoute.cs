namespace Mesh.XdsServer.Translation;

/// <summary>One route of a service port: a path prefix and the egress clusters it splits traffic across.</summary>
internal sealed record ServiceRoute(string Name, string Prefix, IReadOnlyList<(string Cluster, int Weight)> Targets);
