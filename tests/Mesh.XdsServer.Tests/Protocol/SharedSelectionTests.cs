using Envoy.Config.Route.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using static Envoy.Admin.V3.ClientResourceStatus;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// The streams of one identity that name the same resources share one list of them and its version
/// (<see cref="ResourceSet.Named"/>) instead of each making and hashing its own: each proxy must still get exactly
/// what it named, with the version of exactly that, and CSDS must still show each stream's own state.
/// </summary>
public sealed class SharedSelectionTests : IAsyncLifetime
{
    private const string Rds = "rds_egress_http_9080";

    private XdsTestHost _host = null!;
    private MeshRows _mesh = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        _mesh = MeshRows.Demo();
        _host.Producer.SetMesh(_mesh.Key, _mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public void Equal_Name_Lists_Share_One_Selection_With_The_Version_Of_Its_Resources()
    {
        var set = new ResourceSet([Route("a"), Route("b"), Route("c")]);

        var first = set.Named(["a", "c"]);
        var again = set.Named(new[] { "a", "c" }); // another array with the same names, as another stream has
        var other = set.Named(["b"]);
        var withMissing = set.Named(["a", "zzz"]);

        Assert.Same(first, again);
        Assert.Equal(["a", "c"], first.Resources.Select(r => r.Name));
        Assert.Equal(Hashing.VersionOf(first.Resources), first.Version);
        Assert.Equal(["b"], other.Resources.Select(r => r.Name));
        Assert.NotEqual(first.Version, other.Version);

        // A name the set does not have is left out, and the version is that of what is sent.
        Assert.Equal(["a"], withMissing.Resources.Select(r => r.Name));
        Assert.Equal(set.Named(["a"]).Version, withMissing.Version);

        Assert.Equal(first.Version, set.SharedVersionOf(first.Resources));
        Assert.Equal(set.WildcardVersion, set.SharedVersionOf(set.Wildcard));
        Assert.Null(set.SharedVersionOf([Route("a"), Route("c")]));
    }

    [Fact]
    public void A_Selection_Made_For_Names_Dropped_From_The_Few_Kept_Is_Made_Again_Equal()
    {
        var set = new ResourceSet([Route("a"), Route("b"), Route("c")]);
        var first = set.Named(["a"]);
        foreach (var names in new[] { new[] { "b" }, ["c"], ["a", "b"], ["b", "c"], ["a", "c"] })
        {
            set.Named(names);
        }

        var again = set.Named(["a"]);
        Assert.Equal(first.Version, again.Version);
        Assert.Equal(first.Resources, again.Resources);
    }

    [Fact]
    public async Task Proxies_Naming_The_Same_Routes_Get_Them_With_The_Same_Version_Before_And_After_A_Change()
    {
        await using var one = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await using var two = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        await using var three = AdsClient.Connect(_host.Channel, MeshRows.NodeId("web"));
        string[] named = [Rds];
        string[] namedWithMissing = [Rds, "rds_not_there"];

        await one.SendAsync(TypeUrls.Route, named);
        await two.SendAsync(TypeUrls.Route, named);
        await three.SendAsync(TypeUrls.Route, namedWithMissing);
        var before = new[] { await one.NextAsync(), await two.NextAsync(), await three.NextAsync() };
        Assert.All(before, r => Assert.Equal(Rds, Assert.Single(AdsClient.Unpack<RouteConfiguration>(r)).Name));
        Assert.Single(before.Select(r => r.VersionInfo).Distinct());
        await one.AckAsync(before[0], named);
        await two.AckAsync(before[1], named);
        await three.AckAsync(before[2], namedWithMissing);
        await Eventually.TrueAsync(() => _host.Streams.Streams.Count(s => s.Resources.TryGetValue((TypeUrls.Route, Rds), out var r) && r.ClientStatus == Acked) == 3);

        // All traffic to api-v1 now: the route configuration changes for every proxy of web.
        _host.Producer.SetMesh(_mesh.Key, _mesh.HttpRoute("api-router", "default", "/", ("api-v1", 100)).Graph);
        var after = new[] { await one.NextAsync(), await two.NextAsync(), await three.NextAsync() };

        Assert.All(after, r => Assert.Equal(TypeUrls.Route, r.TypeUrl));
        Assert.Single(after.Select(r => r.VersionInfo).Distinct());
        Assert.NotEqual(before[0].VersionInfo, after[0].VersionInfo);
        Assert.Equal(Rds, Assert.Single(AdsClient.Unpack<RouteConfiguration>(after[2])).Name);
        var snapshot = Assert.Single(_host.Cache.Snapshots());
        Assert.Equal(Hashing.VersionOf([snapshot[TypeUrls.Route].ByName[Rds]]), after[0].VersionInfo);

        // CSDS: each stream shows what it was sent, and only the one that ACKs moves to ACKED.
        await one.AckAsync(after[0], named);
        await _host.ProcessedAsync(TypeUrls.Route, Rds, Acked);
        var newVersion = snapshot[TypeUrls.Route].ByName[Rds].Version;
        await Eventually.TrueAsync(() => _host.Streams.Streams.Count(s => s.Resources[(TypeUrls.Route, Rds)] is { ClientStatus: Acked } r && r.Version == newVersion) == 1);
        Assert.Equal(2, _host.Streams.Streams.Count(s => s.Resources[(TypeUrls.Route, Rds)] is { ClientStatus: Requested } r && r.Version == newVersion));
    }

    private static XdsResource Route(string name) => XdsResource.Create(TypeUrls.Route, name, new RouteConfiguration { Name = name });
}
