using System.Text.Json;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Graph;
using Mesh.Persistence;
using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Registration;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Registration;

/// <summary>
/// A sidecar whose node metadata asks for registration is an instance of its node's Cloud Map service while it is
/// connected, in the registry tables and in its callers' EDS, and leaves after the grace period; replicas on one
/// database hand it over without deregistering it, and a stopped replica leaves nothing behind.
/// </summary>
public sealed class AutomaticRegistrationTests
{
    private const string CallerEndpoints = "cds_egress_demo_api_http_8080";
    private const string InstanceId = "10.1.2.3_8080";

    [Fact]
    public async Task EveryRegistrationEvent_HasASeriesAtZero_BeforeTheFirstRegistration()
    {
        var store = await StoreAsync();
        await using var host = await StartAsync(store, "xds-a", grace: TimeSpan.FromSeconds(30));

        var lines = (await host.Admin.GetStringAsync("/metrics").DefaultTimeout()).Split('\n');
        foreach (var name in new[] { "created", "updated", "registered", "waiting", "refused", "error", "deregistered", "invalid", "pass_failed" })
        {
            Assert.Contains(lines, line => line.StartsWith("mesh_xds_registrations_total{", StringComparison.Ordinal)
                && line.Contains($"event=\"{name}\"", StringComparison.Ordinal) && line.EndsWith(" 0", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task APassThatFails_IsCounted_NotOnlyLogged()
    {
        var store = await StoreAsync();
        await using var host = await StartAsync(store, "xds-a", grace: TimeSpan.FromSeconds(30));

        // Every pass sweeps this table: without it each pass fails, as it would with a database that refuses it.
        await using (var db = store.Open())
        {
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE cloud_map_instances RENAME TO cloud_map_instances_gone", TaskTimeouts.Token());
        }

        await WaitAsync(() => Task.FromResult(host.Metrics.Get("mesh_xds_registrations_total", "event=\"pass_failed\"") > 0), "a failed pass to be counted");
    }

    [Fact]
    public async Task ASidecarAskingWithBadMetadata_IsCounted_NotOnlyLoggedAndShown()
    {
        var store = await StoreAsync();
        await using var host = await StartAsync(store, "xds-a", grace: TimeSpan.FromSeconds(30));

        await using var api = AdsClient.Connect(host.Channel, MeshRows.NodeId("api"));
        api.Metadata = new Struct
        {
            Fields =
            {
                [RequestedInstance.MetadataKey] = Value.ForStruct(new Struct { Fields = { ["address"] = Value.ForString("not-an-address") } }),
            },
        };
        await api.SendAsync(TypeUrls.Cluster);
        await api.NextAsync();

        Assert.Equal(1, host.Metrics.Get("mesh_xds_registrations_total", "event=\"invalid\""));
    }

    [Fact]
    public async Task ConnectedSidecar_IsRegistered_AndLeavesAfterTheGracePeriod()
    {
        var store = await StoreAsync();
        await using var host = await StartAsync(store, "xds-a", grace: TimeSpan.FromSeconds(1));
        await using var web = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await web.SendAsync(TypeUrls.Endpoint, [CallerEndpoints]);
        var empty = await web.NextAsync();
        Assert.Empty(Assert.Single(AdsClient.Unpack<ClusterLoadAssignment>(empty)).Endpoints);
        await web.AckAsync(empty, [CallerEndpoints]);

        var api = await ConnectSidecarAsync(host);
        var row = await WaitForInstanceAsync(store, present: true, "the connected sidecar to be registered");
        Assert.Equal("xds-a", row!.LeaseOwner);
        var attributes = JsonSerializer.Deserialize<Dictionary<string, string>>(row.Attributes)!;
        Assert.Equal("10.1.2.3", attributes["AWS_INSTANCE_IPV4"]);
        Assert.Equal("8080", attributes["AWS_INSTANCE_PORT"]);
        Assert.Equal("prod", attributes["stage"]); // the node's own filter, so its callers select it

        var registered = await web.NextAsync();
        var pushed = AdsClient.Unpack<ClusterLoadAssignment>(registered);
        Assert.Equal("10.1.2.3", Assert.Single(pushed).Endpoints[0].LbEndpoints[0].Endpoint.Address.SocketAddress.Address);
        await web.AckAsync(registered, [CallerEndpoints]);

        var status = await host.Admin.GetStringAsync("/proxy-status");
        using (var report = JsonDocument.Parse(status))
        {
            var entry = report.RootElement.GetProperty("proxies").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "api");
            Assert.Equal("REGISTERED", entry.GetProperty("registration").GetProperty("state").GetString());
            Assert.Equal("ns.local/api", entry.GetProperty("registration").GetProperty("service").GetString());
        }

        var output = new StringWriter();
        Assert.Equal(0, await ProxyStatusCommand.RunAsync(["--url", host.AdminUri.ToString()], output, TextWriter.Null, TaskTimeouts.Token()));
        Assert.Contains($"REGISTRATION {MeshRows.NodeId("api")} {InstanceId}: REGISTERED in ns.local/api", output.ToString(), StringComparison.Ordinal);

        Assert.True(host.Metrics.Get("mesh_xds_registrations_total", "event=\"created\"") >= 1, "the registration was not counted");
        Assert.Equal(1, PrometheusText.Value(await host.Admin.GetStringAsync("/metrics"), "mesh_xds_registered_proxies"));

        await api.DisposeAsync();
        await WaitForInstanceAsync(store, present: false, "the disconnected sidecar to be deregistered after the grace period");
        var gone = AdsClient.Unpack<ClusterLoadAssignment>(await web.NextAsync());
        Assert.Empty(Assert.Single(gone).Endpoints);
        Assert.True(host.Metrics.Get("mesh_xds_registrations_total", "event=\"deregistered\"") >= 1, "the deregistration was not counted");
    }

    [Fact]
    public async Task Replicas_HandOverTheLease_AndAStoppedReplicaLeavesNothingBehind()
    {
        var store = await StoreAsync();

        // A grace period far above the renew interval (30 renewals), so a handover that works never comes near
        // lapsing, even when a loaded machine stalls the renewing replica for seconds (3 s lapsed once at load 69).
        var grace = TimeSpan.FromSeconds(6);
        await using var a = await StartAsync(store, "xds-a", grace);
        var b = await StartAsync(store, "xds-b", grace);
        try
        {
            var onA = await ConnectSidecarAsync(a);
            await WaitForOwnerAsync(store, "xds-a");

            // The sidecar reconnects to the other replica, then its old stream goes away.
            var onB = await ConnectSidecarAsync(b);
            await WaitForOwnerAsync(store, "xds-b");
            await onA.DisposeAsync();

            // Well past the moment A's last lease would have lapsed: B kept renewing it.
            await Task.Delay(grace * 2);
            var row = await WaitForInstanceAsync(store, present: true, "the handed-over instance to stay registered");
            Assert.Equal("xds-b", row!.LeaseOwner);
            Assert.Equal(0, await DeletesAsync(store));

            // B stops without a word; A sweeps the lapsed lease.
            await b.DisposeAsync();
            b = null;
            await WaitForInstanceAsync(store, present: false, "replica xds-a to remove the instance whose replica stopped");
            Assert.Equal(1, await DeletesAsync(store));
            await onB.DisposeAsync();
        }
        finally
        {
            if (b is not null)
            {
                await b.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task InstanceRegisteredThroughTheApi_IsNotTakenOver()
    {
        var store = await StoreAsync();
        await using (var db = store.Open())
        {
            db.CloudMapInstances.Add(new CloudMapInstanceEntity
            {
                ServiceId = "srv-test", InstanceId = InstanceId, AccountId = MeshRows.Account, HealthStatus = "HEALTHY",
                Attributes = """{"AWS_INSTANCE_IPV4":"10.9.9.9"}""", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync(TaskTimeouts.Token());
        }

        await using var host = await StartAsync(store, "xds-a", TimeSpan.FromSeconds(1));
        await using var api = await ConnectSidecarAsync(host);
        await WaitAsync(() => Task.FromResult(host.Streams.Streams.Any(s => s.Registration?.State == "REFUSED")), "the registration to be refused");
        var row = await WaitForInstanceAsync(store, present: true, "the API's instance to stay");
        Assert.Null(row!.LeaseOwner);
        Assert.Contains("10.9.9.9", row.Attributes, StringComparison.Ordinal);
    }

    /// <summary>
    /// A sidecar that asks for registration while its node is discovered through DNS waits, and proxy status says
    /// why (its node's discovery, which only its spec can change), not that the node may not exist.
    /// </summary>
    [Fact]
    public async Task SidecarOfANodeOnDns_WaitsAndSaysItsNodeUsesDns()
    {
        var store = await StoreAsync();
        await using var host = await StartAsync(store, "xds-a", TimeSpan.FromSeconds(1));
        await using var web = await ConnectSidecarAsync(host, "web");

        await WaitAsync(() => Task.FromResult(host.Streams.Streams.Any(s => s.Registration?.State == "WAITING")), "the registration to wait");
        var status = host.Streams.Streams.Single(s => s.Registration is not null).Registration!;
        Assert.Equal("virtualNode/web uses dns service discovery, not awsCloudMap: only a node discovered through Cloud Map has a service to register in", status.Detail);
    }

    private static async Task<MeshStore> StoreAsync()
    {
        var server = await PostgresServer.GetSharedAsync(TaskTimeouts.Token());
        var store = new MeshStore(await server.CreateDatabaseAsync(TaskTimeouts.Token()));
        var mesh = new MeshRows()
            .Put(MeshResourceKinds.VirtualNode, "", "api",
                """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"serviceDiscovery":{"awsCloudMap":{"namespaceName":"ns.local","serviceName":"api","attributes":[{"key":"stage","value":"prod"}]}}}""")
            .ServiceByNode("api.demo.local", "api")
            .Node("web", "10.0.0.1", backends: "api.demo.local");
        await store.ApplyAsync(mesh, TaskTimeouts.Token());
        await using var db = store.Open();
        var now = DateTimeOffset.UtcNow;
        db.CloudMapNamespaces.Add(new CloudMapNamespaceEntity
        {
            Id = "ns-test", AccountId = MeshRows.Account, Name = "ns.local", Type = "HTTP", Arn = "arn:ns", Properties = "{}", Tags = "[]", CreatedAt = now,
        });
        db.CloudMapServices.Add(new CloudMapServiceEntity
        {
            Id = "srv-test", AccountId = MeshRows.Account, NamespaceId = "ns-test", Name = "api", Arn = "arn:srv", Type = "HTTP", Attributes = "{}", Tags = "[]", CreatedAt = now,
        });
        db.Changes.Add(CloudMapChanges.Create(MeshRows.Account, CloudMapChanges.ServiceKind, "ns.local", "api", 0, "create", now));
        await db.SaveChangesAsync(TaskTimeouts.Token());
        return store;
    }

    private static async Task<XdsTestHost> StartAsync(MeshStore store, string replica, TimeSpan grace)
    {
        var host = await XdsTestHost.StartAsync(store.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Xds:ProxyStatus:ReplicaId"] = replica,
            ["Xds:Registration:GracePeriod"] = grace.ToString(),
            ["Xds:Registration:RenewInterval"] = "00:00:00.200",
        });
        await WaitAsync(() => Task.FromResult(host.Services.GetRequiredService<FeedStatus>().Loaded), $"replica {replica} to load the mesh");
        return host;
    }

    /// <summary>The api node's sidecar, with the metadata <c>bootstrap --register-instance 10.1.2.3:8080</c> writes.</summary>
    private static async Task<AdsClient> ConnectSidecarAsync(XdsTestHost host, string node = "api")
    {
        var api = AdsClient.Connect(host.Channel, MeshRows.NodeId(node));
        api.Metadata = new Struct
        {
            Fields =
            {
                [RequestedInstance.MetadataKey] = Value.ForStruct(new Struct
                {
                    Fields = { ["address"] = Value.ForString("10.1.2.3"), ["port"] = Value.ForNumber(8080) },
                }),
            },
        };
        await api.SendAsync(TypeUrls.Cluster);
        await api.NextAsync();
        return api;
    }

    private static async Task<CloudMapInstanceEntity?> WaitForInstanceAsync(MeshStore store, bool present, string what)
    {
        CloudMapInstanceEntity? row = null;
        await WaitAsync(async () =>
        {
            await using var db = store.Open();
            row = await db.CloudMapInstances.AsNoTracking().SingleOrDefaultAsync(i => i.ServiceId == "srv-test" && i.InstanceId == InstanceId);
            return (row is not null) == present;
        }, what);
        return row;
    }

    private static Task WaitForOwnerAsync(MeshStore store, string owner) =>
        WaitAsync(async () =>
        {
            await using var db = store.Open();
            return await db.CloudMapInstances.AnyAsync(i => i.InstanceId == InstanceId && i.LeaseOwner == owner);
        }, $"replica {owner} to hold the lease");

    private static async Task<int> DeletesAsync(MeshStore store)
    {
        await using var db = store.Open();
        return await db.Changes.CountAsync(c => c.Kind == CloudMapChanges.InstanceKind && c.Operation == "delete");
    }

    /// <summary>A bounded wait that says what it was waiting for when it gives up.</summary>
    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        try
        {
            await Eventually.TrueAsync(condition);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Timed out after {TaskTimeouts.Default} waiting for {what}.");
        }
    }
}
