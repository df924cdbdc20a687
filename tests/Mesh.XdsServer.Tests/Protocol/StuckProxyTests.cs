using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Fleet;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A slow proxy never holds up the rest, with the push gate on (<c>Xds:PushesInFlight</c>, <see cref="PushGate"/>):
/// real HTTP/2 clients over the real Kestrel, some that never answer and some that stop reading their socket, beside
/// healthy ones, with fewer slots than proxies and a hold time of an hour. Every healthy proxy gets every change, so
/// no slot waited for its hold time: a never-answering proxy's slot comes back when its push is written, a
/// non-reading proxy's (its HTTP/2 window closed, its write waiting) when as many later pushes as there are slots
/// were written (docs/benchmarks.md, issue13ao).
/// </summary>
public sealed class StuckProxyTests
{
    private const int Slots = 3;

    [Fact]
    public async Task Proxies_That_Never_Answer_Or_Stop_Reading_Do_Not_Hold_Up_The_Healthy_Ones_Pushes()
    {
        await using var host = await XdsTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Xds:PushesInFlight"] = Slots.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Xds:PushSlotHoldMilliseconds"] = "3600000",
        });
        // Every change only adds a cluster: one that removed some would be pushed twice (the removed clusters kept
        // in the first push, SotwSession), and a healthy proxy reading one push per change would fall a push behind,
        // its stream then taking a later change while it waited for a slot (seen in a fresh-clone run: two versions
        // among the healthy proxies).
        var mesh = LargeMesh(0);
        host.Producer.SetMesh(mesh.Key, mesh.Graph);
        var gate = host.Services.GetRequiredService<PushGate>();

        using var stuck = new CancellationTokenSource();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var healthy = Enumerable.Range(0, 4).Select(_ => new Proxy(host.GrpcUri, null)).ToList();
        var silent = Enumerable.Range(0, 2).Select(_ => new Proxy(host.GrpcUri, null)).ToList();
        var unread = Enumerable.Range(0, 2).Select(_ => new Proxy(host.GrpcUri, stopped.Task)).ToList();
        List<Proxy> all = [.. healthy, .. silent, .. unread];
        try
        {
            foreach (var proxy in all)
            {
                await proxy.Client.SendAsync(TypeUrls.Cluster);
                await proxy.Client.AckAsync(await proxy.Client.NextAsync());
            }

            // Stuck from now on: the silent ones read every push and answer none; the others read nothing more.
            var reading = silent.Select(p => p.ReadWithoutAnswering(stuck.Token)).ToList();
            stopped.SetResult();

            // Three changes, each a push larger than a proxy's HTTP/2 window (64 KiB), so a proxy that does not read
            // cannot take even one; the healthy ones read and ACK each in turn.
            var versions = new List<string>();
            for (var change = 1; change <= 3; change++)
            {
                host.Producer.SetMesh(mesh.Key, LargeMesh(change).Graph);
                var pushes = await Task.WhenAll(healthy.Select(async p =>
                {
                    var push = await p.Client.NextAsync();
                    await p.Client.AckAsync(push);
                    return push.VersionInfo;
                }));
                Assert.Single(pushes.Distinct());
                Assert.DoesNotContain(pushes[0], versions);
                versions.Add(pushes[0]);
            }

            // The non-reading proxies' writes still wait, and slots were given back as stalled (a write that took one
            // of the last slots of the last change has no later writes to overtake it, and keeps its slot while nobody
            // waits; on a busy machine a reading proxy's write is sometimes overtaken too); nothing expired.
            await Eventually.TrueAsync(() => gate.StalledCount >= 1);
            Assert.Equal(0, gate.ExpiredCount);
            Assert.All(reading, r => Assert.False(r.IsCompleted));

            await stuck.CancelAsync();
            await Task.WhenAll(reading).DefaultTimeout();
        }
        finally
        {
            foreach (var proxy in all)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    /// <summary>A mesh whose web node has 400 backends and one more each change: clusters over 64 KiB in every push.</summary>
    private static MeshRows LargeMesh(int change)
    {
        var mesh = new MeshRows("demo");
        var backends = Enumerable.Range(0, 400 + change).Select(i => $"svc{i}.demo.local").ToArray();
        for (var i = 0; i < backends.Length; i++)
        {
            mesh.Node($"backend{i}", $"backend{i}.demo.local").ServiceByNode(backends[i], $"backend{i}");
        }

        mesh.Node("web", "10.0.0.1", backends: backends);
        return mesh;
    }

    /// <summary>One proxy on its own connection; with <paramref name="stopReading"/>, its socket is not read once that completes.</summary>
    private sealed class Proxy : IAsyncDisposable
    {
        private readonly GrpcChannel _channel;
        private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;

        public Proxy(Uri server, Task? stopReading)
        {
            _channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    ConnectCallback = stopReading is null ? null : (context, cancel) => StoppableReads.ConnectAsync(context, stopReading, cancel),

                    // Reading proxies get Envoy's kind of window (its default is 256 MiB), so a push never waits for
                    // their WINDOW_UPDATE: with .NET's 64 KiB a write that had to wait for one completed only long
                    // after the proxy had read the whole push (seen here: slots still held once every healthy proxy
                    // had ACKed), and would be given back as stalled, not written. A proxy that stops reading keeps
                    // .NET's 64 KiB, less than one push.
                    InitialHttp2StreamWindowSize = stopReading is null ? 4 << 20 : 65535,
                },
            });
            _call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel).StreamAggregatedResources();
            Client = AdsClient.Connect(_call, MeshRows.NodeId("web"));
        }

        public AdsClient Client { get; }

        /// <summary>Reads every response (so its HTTP/2 windows stay open) and answers none, until <paramref name="stop"/>.</summary>
        public async Task ReadWithoutAnswering(CancellationToken stop)
        {
            try
            {
                while (await _call.ResponseStream.MoveNext(stop))
                {
                }
            }
            catch (RpcException) when (stop.IsCancellationRequested)
            {
                // the test is over
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // the test is over
            }
        }

        public async ValueTask DisposeAsync()
        {
            _call.Dispose();
            _channel.Dispose();
            await Task.CompletedTask;
        }
    }
}
