using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Services;

/// <summary>RDS over its own stream (SotW, delta and unary fetch); the same sessions as ADS, restricted to one type.</summary>
public sealed class RouteDiscovery(XdsSessionContext context) : Envoy.Service.Route.V3.RouteDiscoveryService.RouteDiscoveryServiceBase
{
    public override Task StreamRoutes(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunSotwAsync(context, "rds", TypeUrls.Route, requestStream, responseStream, callContext);

    public override Task DeltaRoutes(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunDeltaAsync(context, "rds-delta", TypeUrls.Route, requestStream, responseStream, callContext);

    public override Task<DiscoveryResponse> FetchRoutes(DiscoveryRequest request, ServerCallContext callContext) =>
        Task.FromResult(XdsStreams.Fetch(context, TypeUrls.Route, request));
}
