using Envoy.Config.Endpoint.V3;
using Mesh.Model.Graph;
using Mesh.Persistence;
using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Feed;

/// <summary>
/// Registry changes on the change feed, written as the API writes them (rows and change row in one transaction):
/// they reach the proxies that call the Cloud Map node, in their endpoints only, and nobody else.
/// </summary>
public sealed class CloudMapFeedTests
{
    private const string Endpoints = "cds_egress_demo_api_http_8080";

    [Fact]
    public async Task Register_ChangesOnlyTheCallersEndpoints()
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var store = new MeshStore(await server.CreateDatabaseAsync(TaskTimeouts.Token()));
        var mesh = new MeshRows()
            .Put(MeshResourceKinds.VirtualNode, "", "api",
                """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"awsCloudMap":{"namespaceName":"ns.local","serviceName":"api"}}}""")
            .ServiceByNode("api.demo.local", "api")
            .Node("web", "10.0.0.1", backends: "api.demo.local")
            .Node("other", "10.0.0.2");
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await RegistryAsync(store, instance: null);

        await using var host = await XdsTestHost.StartAsync(store.ConnectionString);
        await Eventually.TrueAsync(() => host.Services.GetRequiredService<FeedStatus>().Loaded);
        await using var web = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await using var other = AdsClient.Connect(host.Channel, MeshRows.NodeId("other"));
        await web.SendAsync(TypeUrls.Endpoint, [Endpoints]);
        var first = await web.NextAsync();
        Assert.Empty(Assert.Single(AdsClient.Unpack<ClusterLoadAssignment>(first)).Endpoints);
        await web.AckAsync(first, [Endpoints]);
        await other.SendAsync(TypeUrls.Cluster);
        await other.AckAsync(await other.NextAsync());
        var webIdentity = new ProxyIdentity(mesh.Key, ProxyKind.VirtualNode, "web");
        var otherIdentity = new ProxyIdentity(mesh.Key, ProxyKind.VirtualNode, "other");
        var webBefore = host.Cache.Current(webIdentity)!;
        var otherBefore = host.Cache.Current(otherIdentity)!;
        Assert.Contains(host.Cache.Warnings(webIdentity), w => w.Kind == Mesh.Translation.WarningKind.NoEndpoints && w.Message.Contains("no healthy instance", StringComparison.Ordinal));

        await RegistryAsync(store, instance: "10.1.2.3");

        var pushed = AdsClient.Unpack<ClusterLoadAssignment>(await web.NextAsync());
        Assert.Equal("10.1.2.3", Assert.Single(pushed).Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
        var webAfter = host.Cache.Current(webIdentity)!;
        foreach (var type in TypeUrls.AdsOrder.Where(t => t != TypeUrls.Endpoint))
        {
            Assert.Equal(Versions(webBefore, type), Versions(webAfter, type));
        }

        Assert.NotEqual(Versions(webBefore, TypeUrls.Endpoint), Versions(webAfter, TypeUrls.Endpoint));
        Assert.Same(otherBefore, host.Cache.Current(otherIdentity));
        Assert.Empty(host.Cache.Warnings(webIdentity));
    }

    /// <summary>The namespace and service, and optionally one instance, with their change rows, as the API commits them.</summary>
    private static async Task RegistryAsync(MeshStore store, string? instance)
    {
        await using var db = store.Open();
        var now = DateTimeOffset.UtcNow;
        if (instance is null)
        {
            db.CloudMapNamespaces.Add(new CloudMapNamespaceEntity
            {
                Id = "ns-test", AccountId = MeshRows.Account, Name = "ns.local", Type = "HTTP", Arn = "arn:ns", Properties = "{}", Tags = "[]", CreatedAt = now,
            });
            db.CloudMapServices.Add(new CloudMapServiceEntity
            {
                Id = "srv-test", AccountId = MeshRows.Account, NamespaceId = "ns-test", Name = "api", Arn = "arn:srv", Type = "HTTP",
                Attributes = "{}", Tags = "[]", CreatedAt = now,
            });
            db.Changes.Add(CloudMapChanges.Create(MeshRows.Account, CloudMapChanges.ServiceKind, "ns.local", "api", 0, "create", now));
        }
        else
        {
            db.CloudMapInstances.Add(new CloudMapInstanceEntity
            {
                ServiceId = "srv-test", InstanceId = "i-1", AccountId = MeshRows.Account, HealthStatus = "HEALTHY", CreatedAt = now, UpdatedAt = now,
                Attributes = $$"""{"AWS_INSTANCE_IPV4":"{{instance}}"}""",
            });
            db.Changes.Add(CloudMapChanges.Create(MeshRows.Account, CloudMapChanges.InstanceKind, "ns.local", "api", 1, "create", now));
        }

        await db.SaveChangesAsync(TaskTimeouts.Token());
    }

    private static string Versions(Snapshot snapshot, string type) =>
        string.Join(",", snapshot[type].All.Select(r => $"{r.Name}={r.Version}"));
}
