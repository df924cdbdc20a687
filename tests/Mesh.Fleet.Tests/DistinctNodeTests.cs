using Envoy.Config.Core.V3;
using Google.Protobuf;
using Mesh.XdsServer.Protocol;

namespace Mesh.Fleet.Tests;

/// <summary>
/// <c>--distinct-nodes on</c>: every proxy sends a node of its own, as pods do (their pod name and address), so the
/// server's node interner meets one node per proxy instead of one per client virtual node.
/// </summary>
public class DistinctNodeTests
{
    private const string NodeId = "mesh/fleet/virtualNode/client-0";

    [Fact]
    public void Without_A_Pod_Every_Proxy_Of_A_Node_Sends_The_Same_Bytes()
    {
        Assert.Equal(RealisticNode.Build(NodeId, "client-0").ToByteArray(), RealisticNode.Build(NodeId, "client-0").ToByteArray());
    }

    [Fact]
    public void Each_Pod_Sends_The_Same_Node_Id_But_Its_Own_Pod_Name_And_Address()
    {
        var nodes = Enumerable.Range(0, 1000).Select(i => RealisticNode.Build(NodeId, "client-0", pod: i)).ToList();

        Assert.All(nodes, n => Assert.Equal(NodeId, n.Id));
        Assert.Equal(1000, nodes.Select(PodName).Distinct().Count());
        Assert.Equal(1000, nodes.Select(n => n.Metadata.Fields["aws.appmesh.task.interfaces"].StringValue).Distinct().Count());
        Assert.All(nodes, n => Assert.Equal(390, n.Extensions.Count));
    }

    [Fact]
    public void The_Server_Interner_Holds_One_Node_Per_Pod_With_Distinct_Nodes_And_One_Per_Virtual_Node_Without()
    {
        var distinct = new NodeInterner();
        var shared = new NodeInterner();
        var kept = new List<Node>(); // the interner holds a node while a stream does

        for (var pod = 0; pod < 100; pod++)
        {
            var client = $"client-{pod % 2}";
            kept.Add(distinct.Intern(RealisticNode.Build($"mesh/fleet/virtualNode/{client}", client, pod: pod).ToByteArray()));
            kept.Add(shared.Intern(RealisticNode.Build($"mesh/fleet/virtualNode/{client}", client).ToByteArray()));
        }

        Assert.Equal(100, distinct.Count);
        Assert.Equal(100, distinct.Parsed);
        Assert.Equal(2, shared.Count);
        Assert.Equal(2, shared.Parsed);
        GC.KeepAlive(kept);
    }

    [Fact]
    public void The_Options_Take_Distinct_Nodes_And_Server_Settings()
    {
        var options = FleetOptions.Parse(["--distinct-nodes", "on", "--xds-setting", "Xds:WarmUp:Enabled=false", "--xds-setting", "Xds:WarmUp:Changes=5"]);

        Assert.True(options.DistinctNodes);
        Assert.Equal(["Xds:WarmUp:Enabled=false", "Xds:WarmUp:Changes=5"], options.XdsSettings);
        Assert.False(FleetOptions.Parse([]).DistinctNodes);
        Assert.Throws<ArgumentException>(() => FleetOptions.Parse(["--distinct-nodes", "yes"]));
        Assert.Throws<ArgumentException>(() => FleetOptions.Parse(["--xds-setting", "Xds:WarmUp:Enabled"]));
    }

    private static string PodName(Node node) =>
        node.Metadata.Fields["aws.appmesh.platformInfo"].StructValue.Fields["k8sPlatformInfo"].StructValue.Fields["podName"].StringValue;
}
