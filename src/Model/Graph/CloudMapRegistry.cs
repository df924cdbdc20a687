using Mesh.Model.Specs;

namespace Mesh.Model.Graph;

/// <summary>
/// The part of the Cloud Map registry a mesh uses: every service its virtual nodes name in <c>awsCloudMap</c> that
/// exists, with its instances. A named service absent here does not exist. Sorted, so equal registries compare
/// equal and a change to an unrelated service leaves the mesh's graph (and every snapshot) as it was.
/// </summary>
public sealed record CloudMapRegistry(EquatableList<CloudMapService> Services)
{
    public static CloudMapRegistry Empty { get; } = new(EquatableList<CloudMapService>.Empty);

    public CloudMapService? Find(string namespaceName, string serviceName) =>
        Services.FirstOrDefault(s => s.NamespaceName == namespaceName && s.ServiceName == serviceName);

    /// <summary>The (namespace, service) pairs the graph's virtual nodes discover through.</summary>
    public static IReadOnlyList<(string NamespaceName, string ServiceName)> ReferencedBy(MeshGraph graph) =>
        graph.VirtualNodes
            .Select(n => n.Spec.ServiceDiscovery?.AwsCloudMap)
            .OfType<AwsCloudMapServiceDiscovery>()
            .Select(c => (c.NamespaceName, c.ServiceName))
            .Distinct()
            .Order()
            .ToList();
}
