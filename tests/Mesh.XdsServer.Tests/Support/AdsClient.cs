using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>A minimal state-of-the-world xDS client over ADS (or one per-type service), as a test drives it.</summary>
public sealed class AdsClient : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> _call;
    private bool _nodeSent;

    private AdsClient(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call, string nodeId)
    {
        _call = call;
        NodeId = nodeId;
    }

    public string NodeId { get; }

    /// <summary>Node metadata sent with the node on the first request (e.g. <c>mesh.registration</c>).</summary>
    public Google.Protobuf.WellKnownTypes.Struct? Metadata { get; set; }

    /// <summary>The node's user_agent_name (Envoy sends "envoy"; gRPC libraries their own, e.g. "grpc-node-js").</summary>
    public string UserAgentName { get; set; } = "";

    public static AdsClient Connect(GrpcChannel channel, string nodeId) =>
        new(new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources(), nodeId);

    public static AdsClient Connect(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call, string nodeId) => new(call, nodeId);

    /// <summary>Sends a request; the node goes only on the first one, as Envoy does.</summary>
    public Task SendAsync(string typeUrl, IEnumerable<string>? names = null, string version = "", string nonce = "", string? error = null)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = version, ResponseNonce = nonce };
        request.ResourceNames.AddRange(names ?? []);
        if (!_nodeSent)
        {
            request.Node = new Node { Id = NodeId, Cluster = "test", Metadata = Metadata, UserAgentName = UserAgentName };
            _nodeSent = true;
        }

        if (error is not null)
        {
            request.ErrorDetail = new Google.Rpc.Status { Code = 3, Message = error };
        }

        return RefusableWrite.WriteAsync(_call.RequestStream, request);
    }

    public Task AckAsync(DiscoveryResponse response, IEnumerable<string>? names = null) =>
        SendAsync(response.TypeUrl, names, response.VersionInfo, response.Nonce);

    public Task NackAsync(DiscoveryResponse response, string previousVersion, string error, IEnumerable<string>? names = null) =>
        SendAsync(response.TypeUrl, names, previousVersion, response.Nonce, error);

    /// <summary>The next response; fails the test if none comes within the default timeout.</summary>
    public async Task<DiscoveryResponse> NextAsync()
    {
        if (!await _call.ResponseStream.MoveNext(TaskTimeouts.Token()).DefaultTimeout())
        {
            throw new InvalidOperationException("The server closed the stream.");
        }

        return _call.ResponseStream.Current;
    }

    /// <summary>Reads until the server ends the call, and returns how it ended.</summary>
    public async Task<RpcException> ClosedAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(TaskTimeouts.Token()).DefaultTimeout())
            {
            }
        }
        catch (RpcException e)
        {
            return e;
        }

        throw new InvalidOperationException("The stream ended with OK.");
    }

    public static IReadOnlyList<T> Unpack<T>(DiscoveryResponse response)
        where T : class, Google.Protobuf.IMessage<T>, new() => response.Resources.Select(r => r.Unpack<T>()).ToList();

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
