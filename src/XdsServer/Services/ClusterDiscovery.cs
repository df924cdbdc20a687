using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Services;

/// <summary>CDS over its own stream (SotW, delta and unary fetch); the same sessions as ADS, restricted to one type.</summary>
public sealed class ClusterDiscovery(XdsSessionContext context) : Envoy.Service.Cluster.V3.ClusterDiscoveryService.ClusterDiscoveryServiceBase
{
    public override Task StreamClusters(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunSotwAsync(context, "cds", TypeUrls.Cluster, requestStream, responseStream, callContext);

    public override Task DeltaClusters(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunDeltaAsync(context, "cds-delta", TypeUrls.Cluster, requestStream, responseStream, callContext);

    public override Task<DiscoveryResponse> FetchClusters(DiscoveryRequest request, ServerCallContext callContext) =>
        Task.FromResult(XdsStreams.Fetch(context, TypeUrls.Cluster, request));
}
