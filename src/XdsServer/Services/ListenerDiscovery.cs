using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Services;

/// <summary>LDS over its own stream (SotW, delta and unary fetch); the same sessions as ADS, restricted to one type.</summary>
public sealed class ListenerDiscovery(XdsSessionContext context) : Envoy.Service.Listener.V3.ListenerDiscoveryService.ListenerDiscoveryServiceBase
{
    public override Task StreamListeners(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunSotwAsync(context, "lds", TypeUrls.Listener, requestStream, responseStream, callContext);

    public override Task DeltaListeners(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunDeltaAsync(context, "lds-delta", TypeUrls.Listener, requestStream, responseStream, callContext);

    public override Task<DiscoveryResponse> FetchListeners(DiscoveryRequest request, ServerCallContext callContext) =>
        Task.FromResult(XdsStreams.Fetch(context, TypeUrls.Listener, request));
}
