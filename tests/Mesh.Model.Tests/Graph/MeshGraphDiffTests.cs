using Mesh.Model.Graph;
using Mesh.Model.Specs;

namespace Mesh.Model.Tests.Graph;

public sealed class MeshGraphDiffTests
{
    private static readonly List<MeshResourceRow> Rows =
    [
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "a", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc.local"}}]}"""),
        new("virtualNode", null, "b", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
        new("virtualRouter", null, "router", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
        new("route", "router", "r1", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"b","weight":1}]}}}"""),
        new("virtualService", null, "svc.local", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"router"}}}"""),
        new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
    ];

    private static MeshGraph With(params MeshResourceRow[] changed) =>
        MeshGraph.Build(Rows.Where(r => !changed.Any(c => c.Kind == r.Kind && c.ParentName == r.ParentName && c.Name == r.Name)).Concat(changed.Where(c => c.Version > 0)));

    [Fact]
    public void The_Same_Rows_Read_Again_Change_Nothing()
    {
        var diff = MeshGraphDiff.Between(MeshGraph.Build(Rows), MeshGraph.Build(Enumerable.Reverse(Rows)));

        Assert.True(diff.IsEmpty);
        Assert.False(diff.Everything);
    }

    [Fact]
    public void A_Changed_Route_Is_A_Change_Of_Its_Router()
    {
        var after = With(new MeshResourceRow("route", "router", "r1", 2, """{"httpRoute":{"match":{"prefix":"/v2"},"action":{"weightedTargets":[{"virtualNode":"b","weight":1}]}}}"""));

        var diff = MeshGraphDiff.Between(MeshGraph.Build(Rows), after);

        Assert.Equal([GraphResourceKey.VirtualRouter("router")], diff.Changed);
    }

    [Fact]
    public void Added_And_Removed_Resources_Are_Changes()
    {
        var after = With(
            new MeshResourceRow("virtualNode", null, "b", 0, ""),
            new MeshResourceRow("virtualService", null, "new.local", 1, "{}"));

        var diff = MeshGraphDiff.Between(MeshGraph.Build(Rows), after);

        Assert.Equal(
            new HashSet<GraphResourceKey> { GraphResourceKey.VirtualNode("b"), GraphResourceKey.VirtualService("new.local") },
            diff.Changed.ToHashSet());
    }

    [Fact]
    public void A_New_Version_With_The_Same_Spec_Is_A_Change()
    {
        // The version is part of what a proxy's status shows; conservative is right here.
        var after = With(new MeshResourceRow("virtualGateway", null, "gw", 2, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""));

        Assert.Equal([GraphResourceKey.VirtualGateway("gw")], MeshGraphDiff.Between(MeshGraph.Build(Rows), after).Changed);
    }

    [Fact]
    public void The_Mesh_Itself_Changing_Or_Coming_And_Going_Changes_Everything()
    {
        var before = MeshGraph.Build(Rows);
        var meshUpdated = With(new MeshResourceRow("mesh", null, "m", 2, """{"egressFilter":{"type":"ALLOW_ALL"}}"""));

        Assert.True(MeshGraphDiff.Between(before, meshUpdated).Everything);
        Assert.True(MeshGraphDiff.Between(null, before).Everything);
        Assert.True(MeshGraphDiff.Between(before, null).Everything);
        Assert.True(MeshGraphDiff.Between(null, null).IsEmpty);
    }

    [Fact]
    public void Cloud_Map_Services_Are_Compared_By_Their_Instances()
    {
        var before = MeshGraph.Build(Rows) with { CloudMap = Registry(("ns", "x", "10.0.0.1"), ("ns", "y", "10.0.0.2")) };
        var after = before with { CloudMap = Registry(("ns", "x", "10.0.0.1"), ("ns", "y", "10.0.0.3"), ("ns", "z", "10.0.0.4")) };

        var diff = MeshGraphDiff.Between(before, after);

        Assert.Equal(
            new HashSet<GraphResourceKey> { GraphResourceKey.CloudMapService("ns", "y"), GraphResourceKey.CloudMapService("ns", "z") },
            diff.Changed.ToHashSet());
    }

    private static CloudMapRegistry Registry(params (string Namespace, string Service, string Ip)[] services) =>
        new(services.Select(s => new CloudMapService(
            s.Namespace,
            s.Service,
            [new CloudMapInstance("i-1", [new KeyValuePair<string, string>("AWS_INSTANCE_IPV4", s.Ip)], true)])).ToEquatableList());
}
