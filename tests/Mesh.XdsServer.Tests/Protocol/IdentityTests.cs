using Envoy.Config.Listener.V3;
using Envoy.Service.Status.V3;
using Grpc.Core;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>Proxy identity from node.id, and proxies that connect before their resource exists.</summary>
public sealed class IdentityTests : IAsyncLifetime
{
    private XdsTestHost _host = null!;
    private MeshRows _mesh = null!;

    public async Task InitializeAsync()
    {
        _host = await XdsTestHost.StartAsync();
        _mesh = MeshRows.Demo();
        _host.Producer.SetMesh(_mesh.Key, _mesh.Graph);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("web", "must name a virtual node or virtual gateway")]
    [InlineData("mesh/demo/virtualService/api.demo.local", "only a virtualNode or virtualGateway can run a proxy")]
    [InlineData("arn:aws:s3:::bucket", "is not an App Mesh ARN")]
    [InlineData("", "node.id is empty")]
    public async Task A_Malformed_Node_Id_Closes_The_Stream_With_A_Clear_Message(string nodeId, string message)
    {
        await using var client = AdsClient.Connect(_host.Channel, nodeId);
        await client.SendAsync(TypeUrls.Listener);

        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.InvalidArgument, closed.StatusCode);
        Assert.Contains(message, closed.Status.Detail);
    }

    [Fact]
    public async Task A_Full_Arn_Names_The_Same_Proxy_As_The_Short_Form()
    {
        await using var client = AdsClient.Connect(_host.Channel, "arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web");
        await client.SendAsync(TypeUrls.Listener);
        var lds = await client.NextAsync();
        Assert.Contains("lds_egress_0.0.0.0_15001", AdsClient.Unpack<Listener>(lds).Select(l => l.Name));
    }

    [Fact]
    public async Task An_Arn_Of_Another_Region_Names_No_Proxy_Here_And_Is_Refused_Naming_The_Served_Region()
    {
        // The API finds nothing by such an ARN; the server served it as us-east-1's web before.
        await using var client = AdsClient.Connect(_host.Channel, "arn:aws:appmesh:eu-west-1:111122223333:mesh/demo/virtualNode/web");
        await client.SendAsync(TypeUrls.Listener);

        var closed = await client.ClosedAsync();
        Assert.Equal(StatusCode.InvalidArgument, closed.StatusCode);
        Assert.Contains("region 'eu-west-1'", closed.Status.Detail);
        Assert.Contains("serves region 'us-east-1' (Mesh:Region)", closed.Status.Detail);
        Assert.Equal(1, _host.Metrics.Get("mesh_xds_streams_rejected_total", "reason=\"bad_node_id\""));
    }

    [Theory]
    [InlineData("arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web", true)]
    [InlineData("arn:aws:appmesh:us-east-1:444455556666:mesh/demo@111122223333/virtualNode/web", true)]
    [InlineData("mesh/demo/virtualNode/web", true)]
    [InlineData("arn:aws:appmesh:eu-west-1:111122223333:mesh/demo/virtualNode/web", false)]
    [InlineData("arn:aws:appmesh:us-east-2:111122223333:mesh/demo/virtualGateway/edge", false)]
    public void Only_Arns_Of_The_Served_Region_Are_Identities(string nodeId, bool accepted)
    {
        var parser = new Mesh.XdsServer.Identity.ProxyIdentityParser(MeshRows.Account, "us-east-1");
        Assert.Equal(accepted, parser.TryParse(nodeId, out _, out _));

        // A parser that is told no region takes every region, as the model's rules alone do.
        Assert.True(new Mesh.XdsServer.Identity.ProxyIdentityParser(MeshRows.Account).TryParse(nodeId, out _, out _));
    }

    [Fact]
    public async Task A_Proxy_Whose_Node_Does_Not_Exist_Waits_And_Gets_Config_When_It_Is_Created()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("newbie"));
        await client.SendAsync(TypeUrls.Listener);

        var csds = new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(_host.Channel);
        var waiting = await Eventually.ValueAsync(async () =>
        {
            var status = await csds.FetchClientStatusAsync(new ClientStatusRequest()).ResponseAsync.DefaultTimeout();
            return status.Config.SelectMany(c => c.GenericXdsConfigs).FirstOrDefault(g => g.ErrorState?.Details.Contains("waiting") == true);
        });
        Assert.Equal(ConfigStatus.NotSent, waiting.ConfigStatus);
        Assert.Contains("mesh/demo/virtualNode/newbie", waiting.ErrorState.Details);

        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("newbie", "127.0.0.5", 8000).Graph);
        var lds = await client.NextAsync();
        Assert.Equal(["lds_egress_0.0.0.0_15001", "lds_ingress_0.0.0.0_15000"], AdsClient.Unpack<Listener>(lds).Select(l => l.Name));
    }

    [Fact]
    public async Task A_Proxy_Whose_Node_Is_Deleted_Keeps_Its_Config_And_Csds_Says_Why()
    {
        await using var client = AdsClient.Connect(_host.Channel, MeshRows.NodeId("api-v1"));
        await client.SendAsync(TypeUrls.Listener);
        await client.AckAsync(await client.NextAsync());
        await _host.ProcessedAsync(TypeUrls.Listener, "lds_ingress_0.0.0.0_15000", Envoy.Admin.V3.ClientResourceStatus.Acked);

        _host.Producer.SetMesh(_mesh.Key, _mesh.HttpRoute("api-router", "default", "/", ("api-v2", 100)).Delete("virtualNode", "", "api-v1").Graph);

        var csds = new ClientStatusDiscoveryService.ClientStatusDiscoveryServiceClient(_host.Channel);
        var config = (await csds.FetchClientStatusAsync(new ClientStatusRequest()).ResponseAsync.DefaultTimeout()).Config.Single();
        var listener = config.GenericXdsConfigs.Single(g => g.Name == "lds_ingress_0.0.0.0_15000");
        Assert.Equal(ConfigStatus.Synced, listener.ConfigStatus); // still what the proxy runs
        var waiting = config.GenericXdsConfigs.Single(g => g.ConfigStatus == ConfigStatus.NotSent);
        Assert.Contains("waiting for mesh/demo/virtualNode/api-v1", waiting.ErrorState.Details);

        // Recreated: the proxy is served again on the same stream (its configuration is unchanged, so nothing is sent).
        _host.Producer.SetMesh(_mesh.Key, _mesh.Node("api-v1", "127.0.0.1", 9080).Graph);
        config = (await csds.FetchClientStatusAsync(new ClientStatusRequest()).ResponseAsync.DefaultTimeout()).Config.Single();
        Assert.DoesNotContain(config.GenericXdsConfigs, g => g.ConfigStatus == ConfigStatus.NotSent);
    }
}
