using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Protocol;

namespace Mesh.XdsServer.Services;

/// <summary>ADS: every resource type over one stream, state-of-the-world or delta.</summary>
public sealed class AggregatedDiscovery(XdsSessionContext context) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    public override Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunSotwAsync(context, "ads", null, requestStream, responseStream, callContext);

    public override Task DeltaAggregatedResources(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunDeltaAsync(context, "ads-delta", null, requestStream, responseStream, callContext);
}
