using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Services;

/// <summary>SDS over its own stream (SotW, delta and unary fetch); the same sessions as ADS, restricted to one type.</summary>
public sealed class SecretDiscovery(XdsSessionContext context) : Envoy.Service.Secret.V3.SecretDiscoveryService.SecretDiscoveryServiceBase
{
    public override Task StreamSecrets(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunSotwAsync(context, "sds", TypeUrls.Secret, requestStream, responseStream, callContext);

    public override Task DeltaSecrets(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext callContext) =>
        XdsStreams.RunDeltaAsync(context, "sds-delta", TypeUrls.Secret, requestStream, responseStream, callContext);

    public override Task<DiscoveryResponse> FetchSecrets(DiscoveryRequest request, ServerCallContext callContext) =>
        Task.FromResult(XdsStreams.Fetch(context, TypeUrls.Secret, request));
}
