using Envoy.Config.Cluster.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>
/// A set's lookup by name is made when a stream first asks for it, not when the snapshot is built: it must hold
/// exactly the set's resources, be one dictionary whoever asks first, and a repeated name must still be refused when
/// the set is made.
/// </summary>
public sealed class ResourceSetTests
{
    [Fact]
    public void The_Lookup_By_Name_Holds_Every_Resource_And_Is_One_For_Every_Stream()
    {
        var set = new ResourceSet([Cluster("b"), Cluster("a", onDemandOnly: true), Cluster("c")]);

        var lookups = new IReadOnlyDictionary<string, XdsResource>[64];
        Parallel.For(0, lookups.Length, i => lookups[i] = set.ByName);

        Assert.Equal(["a", "b", "c"], set.ByName.Keys.Order(StringComparer.Ordinal));
        Assert.All(set.All, r => Assert.Same(r, set.ByName[r.Name]));
        Assert.All(lookups, l => Assert.Same(set.ByName, l));
        Assert.Equal(["b", "c"], set.Wildcard.Select(r => r.Name));
    }

    [Fact]
    public void A_Repeated_Name_Is_Refused_When_The_Set_Is_Made()
    {
        var error = Assert.Throws<ArgumentException>(() => new ResourceSet([Cluster("a"), Cluster("b"), Cluster("a", port: 81)]));

        Assert.Contains("Key: a", error.Message, StringComparison.Ordinal);
    }

    private static XdsResource Cluster(string name, bool onDemandOnly = false, int port = 80) =>
        XdsResource.Create(TypeUrls.Cluster, name, new Cluster { Name = name, ConnectTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(port)) }, onDemandOnly);
}
