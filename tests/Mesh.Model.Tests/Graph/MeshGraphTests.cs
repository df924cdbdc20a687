using Mesh.Model.Graph;
using Mesh.Model.Observability;
using Mesh.Model.Specs;

namespace Mesh.Model.Tests.Graph;

public sealed class MeshGraphTests
{
    private static readonly MeshResourceRow[] Rows =
    [
        new("route", "router", "r2", 1, """{"httpRoute":{"match":{"prefix":"/b"},"action":{"weightedTargets":[{"virtualNode":"b","weight":1}]}}}"""),
        new("virtualNode", null, "b", 3, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
        new("virtualNode", null, "a", 1, """{"backends":[{"virtualService":{"virtualServiceName":"svc.local"}}]}"""),
        new("mesh", null, "m", 2, """{"egressFilter":{"type":"DROP_ALL"}}"""),
        new("virtualRouter", null, "router", 1, """{"listeners":[{"portMapping":{"port":80,"protocol":"http"}}]}"""),
        new("route", "router", "r1", 5, """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"b","weight":1}]}}}"""),
        new("virtualService", null, "svc.local", 1, """{"provider":{"virtualRouter":{"virtualRouterName":"router"}}}"""),
        new("virtualService", null, "direct.local", 1, """{"provider":{"virtualNode":{"virtualNodeName":"b"}}}"""),
        new("virtualGateway", null, "gw", 1, """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}]}"""),
        new("gatewayRoute", "gw", "gr", 1, """{"httpRoute":{"match":{"prefix":"/"},"action":{"target":{"virtualService":{"virtualServiceName":"svc.local"}}}}}"""),
    ];

    [Fact]
    public void Builds_SortedGraph_WithLookups()
    {
        var graph = MeshGraph.Build(Rows);

        Assert.Equal("m", graph.MeshName);
        Assert.Equal(2, graph.MeshVersion);
        Assert.Equal(["a", "b"], graph.VirtualNodes.Select(n => n.Name));
        Assert.Equal(3, graph.FindVirtualNode("b")!.Version);
        Assert.Equal(["r1", "r2"], graph.RoutesOf("router").Select(r => r.Name));
        Assert.Empty(graph.RoutesOf("nope"));
        Assert.Equal("router", graph.ProviderOf("svc.local")!.VirtualRouter!.Name);
        Assert.Equal("b", graph.ProviderOf("direct.local")!.VirtualNode!.Name);
        Assert.Null(graph.ProviderOf("missing"));
        Assert.Equal("gr", Assert.Single(graph.GatewayRoutesOf("gw")).Name);
    }

    [Fact]
    public void Equal_WhateverTheRowOrder()
    {
        var a = MeshGraph.Build(Rows);
        var b = MeshGraph.Build(Rows.Reverse());
        _ = a.FindVirtualNode("a"); // a filled lookup cache must not affect equality

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, MeshGraph.Build(Rows.Where(r => r.Name != "r2")));
    }

    [Fact]
    public void With_DoesNotKeepStaleLookups()
    {
        var graph = MeshGraph.Build(Rows);
        Assert.NotNull(graph.FindVirtualNode("a"));

        var changed = graph with { VirtualNodes = graph.VirtualNodes.Where(n => n.Name != "a").ToEquatableList() };

        Assert.Null(changed.FindVirtualNode("a"));
        Assert.NotNull(graph.FindVirtualNode("a"));
    }

    [Fact]
    public void Rejects_EveryBadRow_AtOnce()
    {
        var error = Assert.Throws<InvalidMeshGraphException>(() => MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}"),
            new("virtualNode", null, "a", 1, """{"listeners":[{}]}"""),
            new("virtualNode", null, "b", 1, "{}"),
            new("virtualNode", null, "b", 1, "{}"),
            new("route", "ghost", "r", 1, "{}"),
            new("gizmo", null, "g", 1, "{}"),
        }));

        Assert.Equal(4, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.StartsWith("virtualNode/a: spec is not a valid VirtualNodeSpec", StringComparison.Ordinal));
        Assert.Contains("virtualNode/b: appears 2 times", error.Errors);
        Assert.Contains("route/r: virtualRouter/ghost does not exist", error.Errors);
        Assert.Contains("gizmo/g: unknown resource kind", error.Errors);
    }

    [Fact]
    public void Rejects_MissingMesh()
    {
        var error = Assert.Throws<InvalidMeshGraphException>(() => MeshGraph.Build([new MeshResourceRow("virtualNode", null, "a", 1, "{}")]));

        Assert.Equal(["no mesh row"], error.Errors);
    }

    [Fact]
    public void MeshTags_GiveTheObservability_OtherRowsTagsDoNot()
    {
        const string zipkin = """[{"key":"mesh.tracing/provider","value":"zipkin"}]""";
        var graph = MeshGraph.Build(new MeshResourceRow[]
        {
            new("mesh", null, "m", 1, "{}", zipkin),
            new("virtualNode", null, "a", 1, "{}", """[{"key":"mesh.tracing/provider","value":"xray"}]"""),
        });

        Assert.Equal(TracingProvider.Zipkin, graph.Observability.Tracing!.Provider);
        Assert.Same(MeshObservability.None, MeshGraph.Build(Rows).Observability);
    }

    [Fact]
    public void TagChange_ChangesTheGraph()
    {
        // Tagging does not bump the mesh's version, so only the tags tell the cache that the graph changed.
        MeshGraph WithTags(string? tags) => MeshGraph.Build([new MeshResourceRow("mesh", null, "m", 1, "{}", tags)]);
        var untagged = WithTags(null);
        var zipkin = WithTags("""[{"key":"mesh.tracing/provider","value":"zipkin"}]""");

        Assert.NotEqual(untagged, zipkin);
        Assert.Equal(zipkin, WithTags("""[{"key":"mesh.tracing/provider","value":"zipkin"},{"key":"team","value":"a"}]"""));
        Assert.Equal(zipkin.Observability, (zipkin with { VirtualNodes = [] }).Observability);
    }

    [Fact]
    public void UnusableTracingTags_DoNotMakeTheMeshInvalid()
    {
        var graph = MeshGraph.Build([new MeshResourceRow("mesh", null, "m", 1, "{}", """[{"key":"mesh.tracing/provider","value":"lightstep"}]""")]);

        Assert.Null(graph.Observability.Tracing);
        Assert.Equal("mesh.tracing/provider", Assert.Single(graph.Observability.Problems).Key);
    }
}
