using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Microsoft.AspNetCore.Connections.Features;

namespace Mesh.XdsServer.Protocol;

/// <summary>Runs a SotW or delta session for a gRPC call; every discovery service method is one line over these.</summary>
public static class XdsStreams
{
    /// <summary>
    /// A SotW stream of a gRPC call. A stream the server ends because it is stopping ends with UNAVAILABLE set as the
    /// call's status and a normal return: Grpc.AspNetCore writes the same trailers as for a thrown
    /// <see cref="RpcException"/>, without an exception per stream (thousands at once when a busy server stops).
    /// </summary>
    public static Task RunSotwAsync(
        XdsSessionContext context,
        string variant,
        string? typeUrl,
        IAsyncStreamReader<DiscoveryRequest> requests,
        IServerStreamWriter<DiscoveryResponse> responses,
        ServerCallContext call) =>
        EndCallAsync(RunSotwCoreAsync(context, variant, typeUrl, requests, responses, call.CancellationToken, ConnectionClosing(call)), call);

    /// <summary>A delta stream of a gRPC call; ends as <see cref="RunSotwAsync(XdsSessionContext, string, string?, IAsyncStreamReader{DiscoveryRequest}, IServerStreamWriter{DiscoveryResponse}, ServerCallContext)"/> does.</summary>
    public static Task RunDeltaAsync(
        XdsSessionContext context,
        string variant,
        string? typeUrl,
        IAsyncStreamReader<DeltaDiscoveryRequest> requests,
        IServerStreamWriter<DeltaDiscoveryResponse> responses,
        ServerCallContext call) =>
        EndCallAsync(RunDeltaCoreAsync(context, variant, typeUrl, requests, responses, call.CancellationToken, ConnectionClosing(call)), call);

    /// <summary>A SotW stream without a gRPC call (in process): one the server ends because it stops throws UNAVAILABLE.</summary>
    public static Task RunSotwAsync(
        XdsSessionContext context,
        string variant,
        string? typeUrl,
        IAsyncStreamReader<DiscoveryRequest> requests,
        IServerStreamWriter<DiscoveryResponse> responses,
        CancellationToken cancellationToken) =>
        ThrowIfShutDownAsync(RunSotwCoreAsync(context, variant, typeUrl, requests, responses, cancellationToken, default));

    /// <summary>A delta stream without a gRPC call (in process): one the server ends because it stops throws UNAVAILABLE.</summary>
    public static Task RunDeltaAsync(
        XdsSessionContext context,
        string variant,
        string? typeUrl,
        IAsyncStreamReader<DeltaDiscoveryRequest> requests,
        IServerStreamWriter<DeltaDiscoveryResponse> responses,
        CancellationToken cancellationToken) =>
        ThrowIfShutDownAsync(RunDeltaCoreAsync(context, variant, typeUrl, requests, responses, cancellationToken, default));

    private static async Task EndCallAsync(Task<bool> endedByShutdown, ServerCallContext call)
    {
        if (await endedByShutdown)
        {
            call.Status = ShuttingDown;
        }
    }

    private static async Task ThrowIfShutDownAsync(Task<bool> endedByShutdown)
    {
        if (await endedByShutdown)
        {
            throw new RpcException(ShuttingDown);
        }
    }

    /// <summary>True when the stream ended because the server is stopping (or its connection closing).</summary>
    private static async Task<bool> RunSotwCoreAsync(
        XdsSessionContext context,
        string variant,
        string? typeUrl,
        IAsyncStreamReader<DiscoveryRequest> requests,
        IServerStreamWriter<DiscoveryResponse> responses,
        CancellationToken cancellationToken,
        CancellationToken connectionClosing)
    {
        var stopping = connectionClosing.CanBeCanceled ? connectionClosing : context.Stopping;
        using var session = new SotwSession(context, responses, variant, typeUrl);
        return await EndedByShutdown(stopping, session.RunAsync(requests, cancellationToken, stopping), cancellationToken);
    }

    private static async Task<bool> RunDeltaCoreAsync(
        XdsSessionContext context,
        string variant,
        string? typeUrl,
        IAsyncStreamReader<DeltaDiscoveryRequest> requests,
        IServerStreamWriter<DeltaDiscoveryResponse> responses,
        CancellationToken cancellationToken,
        CancellationToken connectionClosing)
    {
        var stopping = connectionClosing.CanBeCanceled ? connectionClosing : context.Stopping;
        using var session = new DeltaSession(context, responses, variant, typeUrl);
        return await EndedByShutdown(stopping, session.RunAsync(requests, cancellationToken, stopping), cancellationToken);
    }

    /// <summary>
    /// Fires when the stream's HTTP/2 connection is asked to close, which Kestrel does to every connection when the
    /// server stops, after it stopped listening and as it sends the GOAWAY (<see cref="Hosting.StopListeningFirst"/>).
    /// A stream ended then cannot be followed by the proxy's reconnect on the same, closing connection. Without
    /// Kestrel (an in-memory call), the stream ends when the application stops.
    /// </summary>
    public static CancellationToken ConnectionClosing(ServerCallContext call) =>
        call.GetHttpContext().Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;

    /// <summary>
    /// Whether a stream ended because this server is stopping: it then ends with UNAVAILABLE, which tells the proxy
    /// to reconnect (to another replica), rather than with the UNKNOWN gRPC gives a handler's cancellation, which
    /// reads as an error. One ended because the proxy went away ends as cancelled (thrown). The session returns
    /// normally in both cases, so no exception runs through the frames of its loop (thousands at once at shutdown).
    /// </summary>
    private static async Task<bool> EndedByShutdown(CancellationToken stopping, Task session, CancellationToken call)
    {
        try
        {
            await session;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !call.IsCancellationRequested)
        {
            return true;
        }

        call.ThrowIfCancellationRequested();
        return stopping.IsCancellationRequested;
    }

    private static readonly Status ShuttingDown = new(StatusCode.Unavailable, "the xDS server is shutting down; reconnect");

    /// <summary>
    /// The unary Fetch of a per-type service: the resources the request names (all, for none) from the proxy's
    /// current snapshot, with the same content-hash version a stream would send. A proxy whose resource does not
    /// exist yet gets UNAVAILABLE, and an unparseable node.id INVALID_ARGUMENT, as on a stream.
    /// </summary>
    public static DiscoveryResponse Fetch(XdsSessionContext context, string typeUrl, DiscoveryRequest request)
    {
        if (!context.Parser.TryParse(request.Node?.Id, out var identity, out var error))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, error));
        }

        using var watch = context.Cache.Watch(identity, _ => { });
        var snapshot = context.Cache.Current(identity)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, context.Cache.Problem(identity) ?? $"no configuration for {identity.ShortForm}"));
        // Selected as a stream's first request with these names is, so "*" beside names (xDS "wildcard plus named")
        // returns the on-demand resources named too; none at all is every resource of the wildcard, whatever the type.
        var set = snapshot[typeUrl];
        var subscription = new SotwTypeState();
        subscription.Request(request.ResourceNames);
        subscription.Wildcard = request.ResourceNames.Count == 0 || request.ResourceNames.Contains("*");
        var resources = SotwSession.Select(typeUrl, subscription, snapshot);
        var response = new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = set.SharedVersionOf(resources) ?? Resources.Hashing.VersionOf(resources) };
        response.Resources.AddRange(resources.Select(r => r.Packed));
        return response;
    }
}
