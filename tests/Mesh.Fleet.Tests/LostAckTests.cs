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
/// 10,000 proxies "never got" a change the server had sent and believed SYNCED). The proxy holds the change, as Envoy
/// does once it has read and applied it, and its next stream says so (version_info), so the server rightly sends it
/// nothing again: the fleet must count the change as delivered when it is read, not only once its ACK is written.
/// The server here is scripted (no network), so the stream ends exactly between the read and the ACK.
/// </summary>
public sealed class LostAckTests
{
    [Theory]
    [InlineData("sotw-every")]
    [InlineData("sotw-first")]
    public async Task A_Change_Read_Before_Its_Stream_Ended_Is_Counted_And_Held_On_The_Next_Stream(string variant)
    {
        var server = new ScriptedSotwServer();
        using var proxy = new SimulatedEnvoy(new Envoy.Config.Core.V3.Node { Id = "mesh/m/virtualNode/client-0" }, FleetOptions.Variant(variant), [new Uri("http://unused")])
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
            server.PushRouteThenEndTheStream("r2");
            await Until(() => server.SecondStreamRouteVersion is not null);

            Assert.Equal("r2", server.SecondStreamRouteVersion); // the proxy holds the change
            Assert.Equal(2, proxy.RdsResponses); // and the fleet counts it, though the server sends it nothing again
            var facts = proxy.Trace.Facts();
            Assert.Equal(2, facts.Streams);
            Assert.Equal("r2", facts.Route.ReceivedVersion);
            Assert.False(facts.RouteAcked);
            Assert.Equal("holds the node's new route version since the change but its stream ended before the ACK was written", MissingProxies.Kind(facts, server.ChangePushedAt, "r2"));
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

    /// <summary>
    /// A SotW ADS server for one proxy: its first stream answers the first request of each type with one resource
    /// (CDS a static cluster, LDS a listener naming route "r", RDS route "r" at "r1"); on cue it pushes another route
    /// version and fails the proxy's next write (the stream reset under it). Later streams answer nothing: the proxy
    /// asks with the versions it holds, and Mesh sends nothing a proxy already has.
    /// </summary>
    private sealed class ScriptedSotwServer : CallInvoker
    {
        private Stream? _first;
        private int _streams;

        public long ChangePushedAt { get; private set; }

        public string? SecondStreamRouteVersion { get; private set; }

        public void PushRouteThenEndTheStream(string version)
        {
            ChangePushedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            _first!.FailNextWrite = true;
            _first.Send(TypeUrls.Route, version, "4", Any.Pack(new RouteConfiguration { Name = "r" }));
        }

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
        {
            var stream = new Stream(this, Interlocked.Increment(ref _streams));
            _first ??= stream;
            return new AsyncDuplexStreamingCall<TRequest, TResponse>(
                (IClientStreamWriter<TRequest>)(object)stream,
                (IAsyncStreamReader<TResponse>)(object)stream,
                Task.FromResult(new Metadata()),
                () => Status.DefaultSuccess,
                () => [],
                () => { });
        }

        private void OnRequest(Stream stream, DiscoveryRequest request)
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
                    stream.Send(TypeUrls.Cluster, "c1", "1", Any.Pack(new Cluster { Name = "c", Type = Cluster.Types.DiscoveryType.Static }));
                    break;
                case TypeUrls.Listener:
                    var manager = new HttpConnectionManager { StatPrefix = "r", Rds = new Rds { RouteConfigName = "r" } };
                    var listener = new Listener { Name = "l", FilterChains = { new FilterChain { Filters = { new Envoy.Config.Listener.V3.Filter { Name = "hcm", TypedConfig = Any.Pack(manager) } } } } };
                    stream.Send(TypeUrls.Listener, "l1", "2", Any.Pack(listener));
                    break;
                case TypeUrls.Route:
                    stream.Send(TypeUrls.Route, "r1", "3", Any.Pack(new RouteConfiguration { Name = "r" }));
                    break;
            }
        }

        private sealed class Stream(ScriptedSotwServer server, int number) : IClientStreamWriter<DiscoveryRequest>, IAsyncStreamReader<DiscoveryResponse>
        {
            private readonly Channel<DiscoveryResponse> _responses = Channel.CreateUnbounded<DiscoveryResponse>();

            public int Number { get; } = number;

            public volatile bool FailNextWrite;

            public WriteOptions? WriteOptions { get; set; }

            public DiscoveryResponse Current { get; private set; } = null!;

            public void Send(string typeUrl, string version, string nonce, Any resource) =>
                _responses.Writer.TryWrite(new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = version, Nonce = nonce, Resources = { resource } });

            public Task WriteAsync(DiscoveryRequest message) => WriteAsync(message, CancellationToken.None);

            public Task WriteAsync(DiscoveryRequest message, CancellationToken cancellationToken)
            {
                if (FailNextWrite)
                {
                    // The stream was reset after the proxy read the push: its ACK cannot be written, and nothing more is read.
                    var reset = new RpcException(new Status(StatusCode.Unavailable, "the stream was reset"));
                    _responses.Writer.TryComplete(reset);
                    return Task.FromException(reset);
                }

                // The proxy's own bytes, as the server would read them.
                server.OnRequest(this, DiscoveryRequest.Parser.ParseFrom(message.ToByteArray()));
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

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();
    }
}
