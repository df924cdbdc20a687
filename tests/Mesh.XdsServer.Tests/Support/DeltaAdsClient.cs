using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>A minimal incremental (delta) xDS client over ADS, as a test drives it.</summary>
public sealed class DeltaAdsClient : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse> _call;
    private bool _nodeSent;

    private DeltaAdsClient(AsyncDuplexStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse> call, string nodeId)
    {
        _call = call;
        NodeId = nodeId;
    }

    public string NodeId { get; }

    public static DeltaAdsClient Connect(GrpcChannel channel, string nodeId) =>
        new(new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).DeltaAggregatedResources(), nodeId);

    public static DeltaAdsClient Connect(AsyncDuplexStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse> call, string nodeId) => new(call, nodeId);

    public Task SendAsync(
        string typeUrl,
        IEnumerable<string>? subscribe = null,
        IEnumerable<string>? unsubscribe = null,
        string nonce = "",
        string? error = null,
        IDictionary<string, string>? initialVersions = null)
    {
        var request = new DeltaDiscoveryRequest { TypeUrl = typeUrl, ResponseNonce = nonce };
        request.ResourceNamesSubscribe.AddRange(subscribe ?? []);
        request.ResourceNamesUnsubscribe.AddRange(unsubscribe ?? []);
        request.InitialResourceVersions.Add(initialVersions ?? new Dictionary<string, string>());
        if (!_nodeSent)
        {
            request.Node = new Node { Id = NodeId };
            _nodeSent = true;
        }

        if (error is not null)
        {
            request.ErrorDetail = new Google.Rpc.Status { Code = 3, Message = error };
        }

        return RefusableWrite.WriteAsync(_call.RequestStream, request);
    }

    public Task AckAsync(DeltaDiscoveryResponse response) => SendAsync(response.TypeUrl, nonce: response.Nonce);

    public Task NackAsync(DeltaDiscoveryResponse response, string error) => SendAsync(response.TypeUrl, nonce: response.Nonce, error: error);

    public async Task<DeltaDiscoveryResponse> NextAsync()
    {
        if (!await _call.ResponseStream.MoveNext(TaskTimeouts.Token()).DefaultTimeout())
        {
            throw new InvalidOperationException("The server closed the stream.");
        }

        return _call.ResponseStream.Current;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync().DefaultTimeout();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or TimeoutException)
        {
            // already closed by the server
        }

        _call.Dispose();
    }
}
