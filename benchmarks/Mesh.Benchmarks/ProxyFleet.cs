using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.Benchmarks;

/// <summary>
/// Many ADS clients behaving like Envoy at start: each subscribes to every cluster and listener, and ACKs each
/// response with its version and nonce. Listeners come last in ADS order, so a proxy that has a new listener
/// response has the whole change.
/// </summary>
public sealed class ProxyFleet : IAsyncDisposable
{
    private const string ClusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    private const string ListenerType = "type.googleapis.com/envoy.config.listener.v3.Listener";

    private readonly GrpcChannel _channel;
    private readonly List<Proxy> _proxies = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _allReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;

    private ProxyFleet(GrpcChannel channel) => _channel = channel;

    public static async Task<ProxyFleet> ConnectAsync(Uri server, int count, Func<int, string> nodeId)
    {
        // One HTTP/2 connection carries at most 100 streams (Kestrel's default); let the handler open more.
        var channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var fleet = new ProxyFleet(channel);
        var initial = fleet.ExpectOneResponseEach(count);
        for (var i = 0; i < count; i++)
        {
            fleet._proxies.Add(fleet.Start(nodeId(i)));
        }

        await initial.WaitAsync(TimeSpan.FromMinutes(2));
        return fleet;
    }

    /// <summary>Completes when every proxy has received one more listener response (and ACKed it).</summary>
    public Task ExpectOneResponseEach() => ExpectOneResponseEach(_proxies.Count);

    private Task ExpectOneResponseEach(int count)
    {
        _allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _pending, count);
        return _allReceived.Task;
    }

    private Proxy Start(string nodeId)
    {
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channel);
        var call = client.StreamAggregatedResources(cancellationToken: _stop.Token);
        var node = new Node { Id = nodeId, Cluster = nodeId };
        return new Proxy(call, RunAsync(call, node));
    }

    private async Task RunAsync(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call, Node node)
    {
        try
        {
            await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = node, TypeUrl = ClusterType });
            await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = ListenerType });
            await foreach (var response in call.ResponseStream.ReadAllAsync(_stop.Token))
            {
                await call.RequestStream.WriteAsync(new DiscoveryRequest
                {
                    TypeUrl = response.TypeUrl,
                    VersionInfo = response.VersionInfo,
                    ResponseNonce = response.Nonce,
                });
                if (response.TypeUrl == ListenerType && Interlocked.Decrement(ref _pending) == 0)
                {
                    _allReceived.TrySetResult();
                }
            }
        }
        catch (RpcException) when (_stop.IsCancellationRequested)
        {
            // the fleet is being torn down
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // the fleet is being torn down
        }
        catch (Exception e)
        {
            _allReceived.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_proxies.Select(p => p.Loop));
        foreach (var proxy in _proxies)
        {
            proxy.Call.Dispose();
        }

        _channel.Dispose();
        _stop.Dispose();
    }

    private sealed record Proxy(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> Call, Task Loop);
}
