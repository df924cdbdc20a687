using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static Envoy.Admin.V3.ClientResourceStatus;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A delta response shared by an identity's streams is encoded once and written by each stream with its own nonce
/// (<see cref="SharedDeltaResponses"/>). What each client reads must carry the nonce its own stream expects, whenever
/// and on whichever thread the writer serialises the message: gRPC serialises inside the write today, but a write
/// that waits first (the response's headers not started yet) serialises later, on whatever thread resumes it, which
/// can be another stream's thread while that stream is writing the same shared response.
/// </summary>
public sealed class SharedDeltaNonceTests
{
    [Fact]
    public async Task A_Shared_Response_Serialised_Later_On_Another_Streams_Thread_Carries_Its_Own_Streams_Nonce()
    {
        var metrics = new XdsMetrics();
        var cache = new SnapshotCache();
        var producer = new SnapshotProducer(cache, new Mesh.Translation.MeshTranslator(), metrics, NullLogger<SnapshotProducer>.Instance);
        var registry = new StreamRegistry(TimeProvider.System);
        var context = new XdsSessionContext(cache, new ProxyIdentityParser(MeshRows.Account), registry, metrics, NullLoggerFactory.Instance);
        var mesh = MeshRows.Demo();
        producer.SetMesh(mesh.Key, mesh.Graph);

        // Stream B's writer leaves its first serialisation for later; stream A's runs what was left before its own, on its
        // own thread and inside its own write: as when B's write resumes inline on a thread that is writing A's.
        var deferred = new Queue<Action>();
        var aRequests = new ChannelStreamReader<DeltaDiscoveryRequest>();
        var bRequests = new ChannelStreamReader<DeltaDiscoveryRequest>();
        var aResponses = new SerializingWriter(deferred, deferFirst: false);
        var bResponses = new SerializingWriter(deferred, deferFirst: true);
        var b = XdsStreams.RunDeltaAsync(context, "ads-delta", null, bRequests, bResponses, CancellationToken.None);
        await bRequests.Writer.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = new Node { Id = MeshRows.NodeId("web") } });
        await Eventually.TrueAsync(() => bResponses.Started == 1);
        var a = XdsStreams.RunDeltaAsync(context, "ads-delta", null, aRequests, aResponses, CancellationToken.None);
        await aRequests.Writer.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = new Node { Id = MeshRows.NodeId("web") } });

        var fromA = await aResponses.NextAsync();
        var fromB = await bResponses.NextAsync();
        Assert.Equal(fromA.Resources.Select(r => r.Name), fromB.Resources.Select(r => r.Name));
        Assert.Equal(1, metrics.Get("mesh_xds_delta_first_responses_shared_total", "type=\"cds\""));

        // Each client ACKs the nonce it read, and each stream takes it as the answer to what it sent.
        await aRequests.Writer.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, ResponseNonce = fromA.Nonce });
        await bRequests.Writer.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, ResponseNonce = fromB.Nonce });
        await Eventually.TrueAsync(() => registry.Streams.All(s =>
            s.Resources.Count == fromA.Resources.Count && s.Resources.Values.All(r => r.ClientStatus == Acked)));

        // The next shared response (a change to both) is told apart from the first on each stream.
        producer.SetMesh(mesh.Key, mesh.Node("web", "10.0.0.1", 8080, "http", "api.demo.local", "billing.demo.local").Graph);
        var changeA = await aResponses.NextAsync();
        var changeB = await bResponses.NextAsync();
        Assert.NotEqual(fromA.Nonce, changeA.Nonce);
        Assert.NotEqual(fromB.Nonce, changeB.Nonce);

        aRequests.Writer.Complete();
        bRequests.Writer.Complete();
        await a.DefaultTimeout();
        await b.DefaultTimeout();
    }

    /// <summary>Records what a client would read: each message as the server's marshaller serialises it, now or later.</summary>
    private sealed class SerializingWriter(Queue<Action> deferred, bool deferFirst) : IServerStreamWriter<DeltaDiscoveryResponse>
    {
        private readonly RecordingStreamWriter<DeltaDiscoveryResponse> _read = new();

        public WriteOptions? WriteOptions { get; set; }

        public int Started { get; private set; }

        public Task WriteAsync(DeltaDiscoveryResponse message) => WriteAsync(message, CancellationToken.None);

        public Task WriteAsync(DeltaDiscoveryResponse message, CancellationToken cancellationToken)
        {
            if (++Started == 1 && deferFirst)
            {
                var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (deferred)
                {
                    deferred.Enqueue(() =>
                    {
                        Record(message);
                        written.SetResult();
                    });
                }

                return written.Task;
            }

            while (true)
            {
                Action? left;
                lock (deferred)
                {
                    if (!deferred.TryDequeue(out left))
                    {
                        break;
                    }
                }

                left();
            }

            Record(message);
            return Task.CompletedTask;
        }

        public Task<DeltaDiscoveryResponse> NextAsync() => _read.NextAsync();

        // The recording writer serialises the message as the server's marshaller does, as it is written.
        private void Record(DeltaDiscoveryResponse message) => _ = _read.WriteAsync(message);
    }
}
