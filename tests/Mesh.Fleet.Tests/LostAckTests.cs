using System.Threading.Channels;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Mesh.Fleet.Tests;

/// <summary>
/// A route change read by a proxy whose stream ends before its ACK is written (issue13as: under load, 1–381 of
/// 10,000 proxies "never got" a change the server had sent and showed SYNCED). The proxy holds the change, as Envoy
/// does once it has read and applied it, and its next stream says so (SotW version_info, delta
/// initial_resource_versions), so the server rightly sends it nothing again: the fleet must count the change when it
/// is read, not only once its ACK is written. The server here is scripted (no network), so the stream ends exactly
/// between the read and the ACK.
/// </summary>
public sealed class LostAckTests
{
    private const string NodeId = "mesh/m/virtualNode/client-0";

    [Theory]
    [InlineData("sotw-every")]
    [InlineData("sotw-first")]
    public async Task A_SotW_Change_Read_Before_Its_Stream_Ended_Is_Counted_And_Held_On_The_Next_Stream(string variant)
    {
        var server = new ScriptedSotwServer();
        await ChangeReadThenStreamEndsAsync(variant, server, () => server.SecondStreamRouteVersion, "r2");
    }

    [Theory]
    [InlineData("delta-every")]
    [InlineData("delta-first")]
    public async Task A_Delta_Change_Read_Before_Its_Stream_Ended_Is_Counted_And_Held_On_The_Next_Stream(string variant)
    {
        var server = new ScriptedDeltaServer();
        await ChangeReadThenStreamEndsAsync(variant, server, () => server.SecondStreamRouteVersion, "r@r2");
    }

    private static async Task ChangeReadThenStreamEndsAsync(string variant, ScriptedServer server, Func<string?> secondStreamRouteVersion, string held)
    {
        using var proxy = new SimulatedEnvoy(new Envoy.Config.Core.V3.Node { Id = NodeId }, FleetOptions.Variant(variant), [new Uri("http://unused")])
        {
            Invoker = _ => server,
        };
        using var stop = new CancellationTokenSource();
        var run = proxy.RunAsync(stop.Token);
        try
        {
            await proxy.Configured.Task.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(1, proxy.RdsResponses);

            // The change: the stream ends once the proxy has read it, before its ACK is written.
            var changed = System.Diagnostics.Stopwatch.GetTimestamp();
            server.PushRouteThenEndTheStream("r2");
            await Until(() => secondStreamRouteVersion() is not null);

            Assert.Equal("r2", secondStreamRouteVersion()); // the proxy holds the change
            Assert.Equal(2, proxy.RdsResponses); // and the fleet counts it, though the server sends it nothing again
            var facts = proxy.Trace.Facts();
            Assert.Equal(2, facts.Streams);
            Assert.Equal(held, facts.Route.ReceivedVersion);
            Assert.False(facts.RouteAcked);
            Assert.Equal("holds the node's new route version since the change but its stream ended before the ACK was written", MissingProxies.Kind(facts, changed, held));
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    private static async Task Until(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    private static Any StaticCluster() => Any.Pack(new Cluster { Name = "c", Type = Cluster.Types.DiscoveryType.Static });

    private static Any ListenerNamingRouteR()
    {
        var manager = new HttpConnectionManager { StatPrefix = "r", Rds = new Rds { RouteConfigName = "r" } };
        return Any.Pack(new Listener { Name = "l", FilterChains = { new FilterChain { Filters = { new Envoy.Config.Listener.V3.Filter { Name = "hcm", TypedConfig = Any.Pack(manager) } } } } });
    }

    private static Any RouteR() => Any.Pack(new RouteConfiguration { Name = "r" });

    /// <summary>
    /// An ADS server for one proxy: its first stream answers the first request of each type with one resource (CDS a
    /// static cluster, LDS a listener naming route "r", RDS route "r" at "r1"); on cue it pushes route "r" at another
    /// version and fails the proxy's next write (the stream reset under it). Later streams answer nothing: the proxy
    /// asks with the versions it holds, and Mesh sends nothing a proxy already has.
    /// </summary>
    private abstract class ScriptedServer : CallInvoker
    {
        private IScriptedStream? _first;
        private int _streams;

        public void PushRouteThenEndTheStream(string version)
        {
            _first!.FailNextWrite = true;
            PushRoute(_first, version);
        }

        protected abstract void PushRoute(IScriptedStream first, string version);

        protected abstract IScriptedStream Open(int number);

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
        {
            var stream = Open(Interlocked.Increment(ref _streams));
            _first ??= stream;
            return new AsyncDuplexStreamingCall<TRequest, TResponse>(
                (IClientStreamWriter<TRequest>)stream,
                (IAsyncStreamReader<TResponse>)stream,
                Task.FromResult(new Metadata()),
                () => Status.DefaultSuccess,
                () => [],
                () => { });
        }

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();
    }

    private interface IScriptedStream
    {
        bool FailNextWrite { set; }
    }

    /// <summary>One stream: what the proxy writes goes to the server's handler; what the server sends waits to be read.</summary>
    private sealed class ScriptedStream<TRequest, TResponse>(int number, MessageParser<TRequest> parser, Action<ScriptedStream<TRequest, TResponse>, TRequest> onRequest)
        : IScriptedStream, IClientStreamWriter<TRequest>, IAsyncStreamReader<TResponse>
        where TRequest : IMessage<TRequest>
    {
        private readonly Channel<TResponse> _responses = Channel.CreateUnbounded<TResponse>();
        private volatile bool _failNextWrite;

        public int Number { get; } = number;

        public bool FailNextWrite { set => _failNextWrite = value; }

        public WriteOptions? WriteOptions { get; set; }

        public TResponse Current { get; private set; } = default!;

        public void Send(TResponse response) => _responses.Writer.TryWrite(response);

        public Task WriteAsync(TRequest message) => WriteAsync(message, CancellationToken.None);

        public Task WriteAsync(TRequest message, CancellationToken cancellationToken)
        {
            if (_failNextWrite)
            {
                // The stream was reset after the proxy read the push: its ACK cannot be written, and nothing more is read.
                var reset = new RpcException(new Status(StatusCode.Unavailable, "the stream was reset"));
                _responses.Writer.TryComplete(reset);
                return Task.FromException(reset);
            }

            // The proxy's own bytes, as the server would read them.
            onRequest(this, parser.ParseFrom(message.ToByteArray()));
            return Task.CompletedTask;
        }

        public Task CompleteAsync() => Task.CompletedTask;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await _responses.Reader.WaitToReadAsync(cancellationToken))
            {
                return false;
            }

            Current = await _responses.Reader.ReadAsync(cancellationToken);
            return true;
        }
    }

    private sealed class ScriptedSotwServer : ScriptedServer
    {
        /// <summary>The version_info of the proxy's route request on its second stream: what it says it holds.</summary>
        public string? SecondStreamRouteVersion { get; private set; }

        protected override IScriptedStream Open(int number) => new ScriptedStream<DiscoveryRequest, DiscoveryResponse>(number, DiscoveryRequest.Parser, OnRequest);

        protected override void PushRoute(IScriptedStream first, string version) => Send((ScriptedStream<DiscoveryRequest, DiscoveryResponse>)first, TypeUrls.Route, version, "4", RouteR());

        private static void Send(ScriptedStream<DiscoveryRequest, DiscoveryResponse> stream, string typeUrl, string version, string nonce, Any resource) =>
            stream.Send(new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = version, Nonce = nonce, Resources = { resource } });

        private void OnRequest(ScriptedStream<DiscoveryRequest, DiscoveryResponse> stream, DiscoveryRequest request)
        {
            if (stream.Number > 1)
            {
                if (request.TypeUrl == TypeUrls.Route)
                {
                    SecondStreamRouteVersion = request.VersionInfo;
                }

                return;
            }

            if (request.ResponseNonce.Length > 0)
            {
                return; // an ACK
            }

            switch (request.TypeUrl)
            {
                case TypeUrls.Cluster:
                    Send(stream, TypeUrls.Cluster, "c1", "1", StaticCluster());
                    break;
                case TypeUrls.Listener:
                    Send(stream, TypeUrls.Listener, "l1", "2", ListenerNamingRouteR());
                    break;
                case TypeUrls.Route:
                    Send(stream, TypeUrls.Route, "r1", "3", RouteR());
                    break;
            }
        }
    }

    private sealed class ScriptedDeltaServer : ScriptedServer
    {
        /// <summary>Route "r"'s version in the proxy's initial_resource_versions on its second stream: what it says it holds.</summary>
        public string? SecondStreamRouteVersion { get; private set; }

        protected override IScriptedStream Open(int number) => new ScriptedStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(number, DeltaDiscoveryRequest.Parser, OnRequest);

        protected override void PushRoute(IScriptedStream first, string version) => Send((ScriptedStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>)first, TypeUrls.Route, "r", version, "4", RouteR());

        private static void Send(ScriptedStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> stream, string typeUrl, string name, string version, string nonce, Any resource) =>
            stream.Send(new DeltaDiscoveryResponse { TypeUrl = typeUrl, Nonce = nonce, Resources = { new Resource { Name = name, Version = version, Resource_ = resource } } });

        private void OnRequest(ScriptedStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> stream, DeltaDiscoveryRequest request)
        {
            if (stream.Number > 1)
            {
                if (request.TypeUrl == TypeUrls.Route && request.InitialResourceVersions.TryGetValue("r", out var held))
                {
                    SecondStreamRouteVersion = held;
                }

                return;
            }

            if (request.ResponseNonce.Length > 0)
            {
                return; // an ACK
            }

            switch (request.TypeUrl)
            {
                case TypeUrls.Cluster:
                    Send(stream, TypeUrls.Cluster, "c", "c1", "1", StaticCluster());
                    break;
                case TypeUrls.Listener:
                    Send(stream, TypeUrls.Listener, "l", "l1", "2", ListenerNamingRouteR());
                    break;
                case TypeUrls.Route:
                    Send(stream, TypeUrls.Route, "r", "r1", "3", RouteR());
                    break;
            }
        }
    }
}
