using System.Net;
using System.Text.Json.Nodes;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Model.Graph;
using Mesh.Translation;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>
/// A mesh change's timeline per identity (<see cref="ChangeTimeline"/>, <c>GET /change-timelines</c>): each rebuilt
/// identity once, with its build and publication in order, and its streams' steps of the change's push (taken, push
/// slot, written), not the connect's (docs/benchmarks.md, issue13bo). Order is asserted, never how long a step took.
/// </summary>
public sealed class ChangeTimelineTests
{
    private static ProxyIdentity Node(string name) => new(new MeshKey(MeshRows.Account, "demo"), ProxyKind.VirtualNode, name);

    [Fact]
    public void A_Change_Records_Each_Rebuilt_Identity_Once_With_Its_Build_Before_Its_Publication_To_Every_Stream()
    {
        var mesh = MeshRows.Demo();
        var metrics = new XdsMetrics();
        var cache = new SnapshotCache();
        var timelines = new ChangeTimelines();
        var producer = new SnapshotProducer(cache, new MeshTranslator(), metrics, NullLogger<SnapshotProducer>.Instance, timelines);
        producer.SetMesh(mesh.Key, mesh.Graph);
        List<IDisposable> watches =
        [
            cache.Watch(Node("web"), _ => { }),
            cache.Watch(Node("web"), _ => { }),
            cache.Watch(Node("api-v1"), _ => { }),
            cache.Watch(Node("billing"), _ => { }),
        ];

        // Neither the first load (nobody watched) nor the first watches' builds are a change's fan-out.
        Assert.Empty(timelines.Recent());

        // web's own port: web alone is rebuilt.
        producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);

        var change = Assert.Single(timelines.Recent());
        Assert.Equal(mesh.Key, change.Mesh);
        Assert.Equal(2, change.Skipped);
        var web = Assert.Single(change.Identities);
        Assert.Equal(Node("web"), web.Identity);
        Assert.Equal(0, web.Order);
        Assert.Equal("offered", web.Outcome);
        Assert.Equal(2, web.Offered);
        Assert.True(change.Handed <= change.BuildsQueued, "queued before handed");
        Assert.True(change.BuildsQueued <= web.BuildStarted, "started before queued");
        Assert.True(web.BuildStarted <= web.BuildFinished, "finished before started");
        Assert.True(web.BuildFinished <= web.Published, "published before built");
        Assert.True(web.Published <= change.BuildsFinished, "the change finished before the publication");
        Assert.Same(web, cache.Current(Node("web"))!.Timeline);
        Assert.Null(cache.Current(Node("api-v1"))!.Timeline);
        Assert.Equal(0, web.Taken.Count);

        // A graph equal to the current one changes nothing and records nothing.
        producer.SetMesh(mesh.Key, mesh.Graph);
        Assert.Single(timelines.Recent());

        // A change to the mesh itself rebuilds all three, each in its own place among the builds.
        producer.SetMesh(mesh.Key, mesh.Put(MeshResourceKinds.Mesh, "", mesh.MeshName, """{"egressFilter":{"type":"ALLOW_ALL"}}""").Graph);
        var all = timelines.Recent()[^1];
        Assert.Equal(0, all.Skipped);
        Assert.Equal(new[] { 0, 1, 2 }, all.Identities.Select(i => i.Order).Order());
        Assert.Equal(new[] { "api-v1", "billing", "web" }, all.Identities.Select(i => i.Identity.Name).Order(StringComparer.Ordinal));
        Assert.All(all.Identities, i => Assert.True(i.BuildFinished <= i.Published && (i.Outcome != "offered" || i.Offered == (i.Identity.Name == "web" ? 2 : 1)), i.Identity.Name));
        watches.ForEach(w => w.Dispose());
    }

    [Fact]
    public void Only_The_Latest_Changes_Are_Kept()
    {
        var mesh = MeshRows.Demo();
        var cache = new SnapshotCache();
        var timelines = new ChangeTimelines(kept: 2);
        var producer = new SnapshotProducer(cache, new MeshTranslator(), new XdsMetrics(), NullLogger<SnapshotProducer>.Instance, timelines);
        producer.SetMesh(mesh.Key, mesh.Graph);
        using var watch = cache.Watch(Node("web"), _ => { });
        for (var port = 8081; port <= 8084; port++)
        {
            producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", port, "http", "api.demo.local").Graph);
        }

        var kept = timelines.Recent();
        Assert.Equal(2, kept.Count);
        Assert.True(kept[0].Generation < kept[1].Generation);
        Assert.Equal(cache.Current(Node("web"))!.Timeline, Assert.Single(kept[1].Identities));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Each_Stream_Marks_The_Change_It_Took_Got_A_Slot_For_And_Wrote_But_Not_Its_Connect(bool gated)
    {
        var mesh = MeshRows.Demo();
        using var gate = gated ? new PushGate(10, TimeSpan.FromHours(1), TimeProvider.System) : null;
        var metrics = new XdsMetrics();
        var cache = new SnapshotCache();
        var timelines = new ChangeTimelines();
        var producer = new SnapshotProducer(cache, new MeshTranslator(), metrics, NullLogger<SnapshotProducer>.Instance, timelines);
        var context = new XdsSessionContext(cache, new ProxyIdentityParser(MeshRows.Account), new StreamRegistry(TimeProvider.System), metrics, NullLoggerFactory.Instance, pushGate: gate);
        producer.SetMesh(mesh.Key, mesh.Graph);

        using var stop = new CancellationTokenSource(TaskTimeouts.Default);
        var streams = await DirectSotwStream.ConnectAsync(context, "web", 2, stop.Token);
        var (a, b) = (streams[0].Responses, streams[1].Responses);

        producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);
        var aPush = await a.NextAsync();
        Assert.Equal(aPush.VersionInfo, (await b.NextAsync()).VersionInfo);

        var web = Assert.Single(Assert.Single(timelines.Recent()).Identities);
        await Eventually.TrueAsync(() => web.Written.Count == 2);
        Assert.Equal(2, web.Offered);
        Assert.Equal(2, web.Taken.Count);
        Assert.Equal(gated ? 2 : 0, web.Slotted.Count);
        Assert.True(web.Published <= web.Taken.First, "taken before it was published");
        Assert.True(web.Taken.First <= web.Taken.Last && web.Written.First <= web.Written.Last, "a last before its first");
        Assert.True(web.Taken.First <= web.Written.First && web.Taken.Last <= web.Written.Last, "written before taken");
        if (gated)
        {
            Assert.True(web.Taken.First <= web.Slotted.First && web.Slotted.Last <= web.Written.Last, "slotted out of order");
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => streams[0].Run.DefaultTimeout());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => streams[1].Run.DefaultTimeout());
    }

    [Fact]
    public async Task The_Admin_Port_Shows_A_Change_Per_Identity_In_Milliseconds_After_It_Was_Handed_Over_And_The_Grpc_Port_Does_Not()
    {
        var mesh = MeshRows.Demo();
        await using var host = await XdsTestHost.StartAsync();
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        await using var web = AdsClient.Connect(host.Channel, MeshRows.NodeId("web"));
        await web.SendAsync(TypeUrls.Listener);
        await web.AckAsync(await web.NextAsync());
        await Eventually.TrueAsync(() => host.Streams.Streams.Any(s => s.Resources.Values.Any(r => r.ClientStatus == Envoy.Admin.V3.ClientResourceStatus.Acked)));

        host.Producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8081, "http", "api.demo.local").Graph);
        var push = await web.NextAsync();
        await web.AckAsync(push);

        JsonNode? identity = null;
        JsonNode? report = null;
        await Eventually.TrueAsync(async () =>
        {
            report = JsonNode.Parse(await host.Admin.GetStringAsync("/change-timelines", TaskTimeouts.Token()))!;
            identity = report["changes"]!.AsArray().SingleOrDefault()?["identities"]!.AsArray().SingleOrDefault();
            return identity?["written"]!["count"]!.GetValue<int>() == 1;
        });

        Assert.Equal(System.Diagnostics.Stopwatch.Frequency, report!["frequency"]!.GetValue<long>());
        var change = report["changes"]![0]!;
        Assert.Equal("111122223333/demo", change["mesh"]!.GetValue<string>());
        Assert.True(change["handedAt"]!.GetValue<long>() > 0);
        Assert.Equal("111122223333:mesh/demo/virtualNode/web", identity!["identity"]!.GetValue<string>());
        Assert.Equal(("offered", 1), (identity["outcome"]!.GetValue<string>(), identity["offered"]!.GetValue<int>()));
        string[] inOrder = ["buildStartedMs", "buildFinishedMs", "publishedMs"];
        var times = inOrder.Select(k => identity[k]!.GetValue<double>()).ToList();
        times.AddRange(new[] { "taken", "slotted", "written" }.Select(step => identity[step]!["firstMs"]!.GetValue<double>()));
        Assert.Equal(times.Order(), times);
        Assert.True(times[0] >= 0);
        Assert.Equal(new[] { 1, 1, 1 }, new[] { "taken", "slotted", "written" }.Select(step => identity[step]!["count"]!.GetValue<int>()));

        using var h2c = new HttpClient { BaseAddress = host.GrpcUri, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await h2c.GetAsync("/change-timelines", TaskTimeouts.Token()).DefaultTimeout();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
