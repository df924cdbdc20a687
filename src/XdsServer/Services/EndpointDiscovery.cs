using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Services;

/// <summary>EDS over its own stream (SotW, delta and unary fetch); the same sessions as ADS, restricted to one type.</summary>
public sealed class EndpointDiscovery(XdsSessionContext context) : Envoy.Service.Endpoint.V3.EndpointDiscoveryService.EndpointDiscoveryServiceBase
{
    public override Task StreamEndpoints(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunSotwAsync(context, "eds", TypeUrls.Endpoint, requestStream, responseStream, callContext);

    public override Task DeltaEndpoints(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunDeltaAsync(context, "eds-delta", TypeUrls.Endpoint, requestStream, responseStream, callContext);

    public override Task<DiscoveryResponse> FetchEndpoints(DiscoveryRequest request, ServerCallContext callContext) =>
        Task.FromResult(XdsStreams.Fetch(context, TypeUrls.Endpoint, request));
}
