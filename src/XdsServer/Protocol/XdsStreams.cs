using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Mesh.XdsServer.Protocol;

/// <summary>Runs a SotW or delta session for a gRPC call; every discovery service method is one line over these.</summary>
public static class XdsStreams
{
    public static async Task RunSotwAsync(
        XdsSessionContext context,
        string variant,
        string? typeUrl,
        IAsyncStreamReader<DiscoveryRequest> requests,
        IServerStreamWriter<DiscoveryResponse> responses,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.Stopping);
        using var session = new SotwSession(context, responses, variant, typeUrl);
        await session.RunAsync(requests, stop.Token);
    }

    public static async Task RunDeltaAsync(
        XdsSessionContext context,
        string variant,
        string? typeUrl,
        IAsyncStreamReader<DeltaDiscoveryRequest> requests,
        IServerStreamWriter<DeltaDiscoveryResponse> responses,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.Stopping);
        using var session = new DeltaSession(context, responses, variant, typeUrl);
        await session.RunAsync(requests, stop.Token);
    }
}
