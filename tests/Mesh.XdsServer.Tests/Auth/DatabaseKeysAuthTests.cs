using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Persistence;
using Mesh.Security;
using Mesh.Testing;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Mesh.XdsServer.Tests.Auth;

/// <summary>
/// The production wiring: with ConnectionStrings:Mesh and Mesh:Auth:MasterKey the server checks signatures against
/// the API's access keys in PostgreSQL (a key made as 'Mesh.Api keys create --proxy &lt;node arn&gt;' makes it),
/// and a revoked key is refused on the next connection.
/// </summary>
public sealed class DatabaseKeysAuthTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly string WebArn = $"arn:aws:appmesh:us-east-1:{MeshRows.Account}:mesh/demo/virtualNode/web";

    [Fact]
    public async Task A_Proxy_Key_From_The_Database_Streams_Its_Node_Until_It_Is_Revoked()
    {
        var masterKey = SecretProtector.NewMasterKey();
        var contexts = new PooledDbContextFactory<MeshDbContext>(new DbContextOptionsBuilder<MeshDbContext>().UseNpgsql(database.ConnectionString).Options);
        var keys = new AccessKeyStore(contexts, new SecretProtector(masterKey), TimeProvider.System);
        var proxyKey = await keys.CreateAsync(MeshRows.Account, KeyPolicy.Proxy(WebArn), "web proxy", TaskTimeouts.Token()).DefaultTimeout();
        await new MeshStore(database.ConnectionString).ApplyAsync(MeshRows.Demo(), TaskTimeouts.Token()).DefaultTimeout();

        await using var host = await XdsTestHost.StartAsync(database.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Xds:Auth:Mode"] = null,
            ["Mesh:Auth:MasterKey"] = masterKey,
        });

        AdsClient Connect(string node) => AdsClient.Connect(
            new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(host.Channel).StreamAggregatedResources(
                EnvoySigner.Sign(host.GrpcUri.Authority, EnvoySigner.AdsPath, proxyKey.AccessKeyId, proxyKey.SecretAccessKey)),
            MeshRows.NodeId(node));

        await using (var web = Connect("web"))
        {
            await web.SendAsync(TypeUrls.Cluster);
            Assert.Equal(4, (await web.NextAsync()).Resources.Count);
        }

        await using (var api = Connect("api-v1"))
        {
            await api.SendAsync(TypeUrls.Cluster);
            Assert.Equal(StatusCode.PermissionDenied, (await api.ClosedAsync()).StatusCode);
        }

        Assert.True(await keys.RevokeAsync(proxyKey.AccessKeyId, TaskTimeouts.Token()).DefaultTimeout());

        // Revoked elsewhere (this test's own store, as another replica would): the server's cached copy of the key
        // lives at most AccessKeyStore.CacheLifetime, after which the key is refused.
        await Task.Delay(AccessKeyStore.CacheLifetime + TimeSpan.FromMilliseconds(200));
        await using var revoked = Connect("web");
        await revoked.SendAsync(TypeUrls.Cluster);
        var closed = await revoked.ClosedAsync();
        Assert.Equal(StatusCode.Unauthenticated, closed.StatusCode);
        Assert.Contains(AuthFailure.UnrecognizedClient, closed.Status.Detail);
    }
}
