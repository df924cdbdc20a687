using Mesh.Model.Graph;

namespace Mesh.Model.Tests.Graph;

/// <summary>A reload reuses what the previous build parsed for unchanged rows, and only for those.</summary>
public sealed class ParsedRowsTests
{
    private static readonly MeshResourceRow[] Rows =
    [
        new("mesh", null, "m", 1, "{}"),
        new("virtualNode", null, "a", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc.local"}}]}"""),
        new("virtualNode", null, "b", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
        new("virtualRouter", null, "router", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
        new("route", "router", "r1", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"b","weight":1}]}}}"""),
        new("virtualService", null, "svc.local", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"router"}}}"""),
        new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
        new("gatewayRoute", "gw", "gr", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"target":{"virtualService":{"virtualServiceName":"svc.local"}}}}}"""),
    ];

    private static readonly MeshResourceRow ChangedRoute =
        new("route", "router", "r1", 2, """{"httpRoute":{"match":{"prefix":"/v2"},"action":{"weightedTargets":[{"virtualNode":"b","weight":1}]}}}""");

    private static MeshResourceRow[] Replace(MeshResourceRow row) =>
        [.. Rows.Select(r => r.Kind == row.Kind && r.ParentName == row.ParentName && r.Name == row.Name ? row : r)];

    [Fact]
    public void Unchanged_Rows_Give_The_Same_Objects_And_The_Graph_Equals_A_Fresh_Build()
    {
        var first = MeshGraph.Build(Rows, null, out var parsed);
        var second = MeshGraph.Build(Replace(ChangedRoute), parsed, out var reparsed);

        Assert.Equal(Rows.Length, parsed.Count);
        Assert.Equal(Rows.Length, reparsed.Count);
        Assert.Equal(MeshGraph.Build(Replace(ChangedRoute)), second);
        Assert.Same(first.FindVirtualNode("a"), second.FindVirtualNode("a"));
        Assert.Same(first.FindVirtualService("svc.local"), second.FindVirtualService("svc.local"));
        Assert.Same(first.FindVirtualRouter("router")!.Spec, second.FindVirtualRouter("router")!.Spec);
        Assert.Same(first.FindVirtualGateway("gw")!.GatewayRoutes[0], second.FindVirtualGateway("gw")!.GatewayRoutes[0]);
        Assert.NotSame(first.RoutesOf("router")[0], second.RoutesOf("router")[0]);
        Assert.Equal("/v2", second.RoutesOf("router")[0].Spec.HttpRoute!.Match.Prefix);
        Assert.Equal([GraphResourceKey.VirtualRouter("router")], MeshGraphDiff.Between(first, second).Changed);
    }

    [Fact]
    public void A_Row_With_The_Same_Version_But_Another_Spec_Is_Parsed_Again()
    {
        // Deleted and created again: version 1 again, with the spec it has now.
        var recreated = ChangedRoute with { Version = 1 };
        MeshGraph.Build(Rows, null, out var parsed);

        var graph = MeshGraph.Build(Replace(recreated), parsed, out _);

        Assert.Equal("/v2", graph.RoutesOf("router")[0].Spec.HttpRoute!.Match.Prefix);
        Assert.Equal(MeshGraph.Build(Replace(recreated)), graph);
    }

    [Fact]
    public void A_Row_Moved_To_Another_Kind_Or_Parent_Is_Not_Reused()
    {
        MeshGraph.Build(Rows, null, out var parsed);
        var moved = Rows.Append(new MeshResourceRow("virtualRouter", null, "router2", 1, Rows[3].SpecJson))
            .Append(Rows[4] with { ParentName = "router2" })
            .ToArray();

        var graph = MeshGraph.Build(moved, parsed, out _);

        Assert.Equal(MeshGraph.Build(moved), graph);
        Assert.NotSame(graph.RoutesOf("router")[0], graph.RoutesOf("router2")[0]);
    }

    [Fact]
    public void Deleted_Rows_Are_Forgotten()
    {
        MeshGraph.Build(Rows, null, out var parsed);

        MeshGraph.Build(Rows.Where(r => r.Name != "b"), parsed, out var after);

        Assert.Equal(Rows.Length - 1, after.Count);
    }
}
