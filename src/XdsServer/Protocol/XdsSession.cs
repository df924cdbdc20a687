using Envoy.Config.Core.V3;
using Grpc.Core;
using Mesh.Model.Identity;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// What SotW and delta streams share: identity from the first request's node, a watch on the proxy's snapshot,
/// the CSDS status, and the single-writer pump.
/// </summary>
internal abstract class XdsSession<TRequest> : IDisposable
{
    private IDisposable? _watch;
    private IDisposable? _registration;
    private long _nonce;
    private long _responses;

    protected XdsSession(XdsSessionContext context, string variant, string? fixedTypeUrl)
    {
        Context = context;
        FixedTypeUrl = fixedTypeUrl;
        Pump = new StreamPump<TRequest>(context.PushGate);
        Status = context.Registry.Open(variant);
        context.Metrics.StreamOpened(variant);
    }

    protected XdsSessionContext Context { get; }

    /// <summary>Set for the per-type services (LDS, CDS, …); null for ADS.</summary>
    protected string? FixedTypeUrl { get; }

    protected StreamStatus Status { get; }

    protected StreamPump<TRequest> Pump { get; }

    protected ProxyIdentity? Identity { get; private set; }

    /// <summary>The snapshot this stream last took from the pump; null while the proxy waits for its resource.</summary>
    protected Snapshot? Snapshot { get; private set; }

    /// <summary>The stream's next nonce (<see cref="StreamNonces"/>).</summary>
    protected string NextNonce() => StreamNonces.Text(++_nonce);

    protected string ProxyName => Identity?.ToString() ?? "?";

    /// <summary>Runs until the proxy closes its side, the call is cancelled or <paramref name="stopping"/> fires.</summary>
    public Task RunAsync(IAsyncStreamReader<TRequest> requests, CancellationToken call, CancellationToken stopping) =>
        Pump.RunAsync(requests, HandleRequestAsync, HandleSnapshotAsync, call, stopping);

    /// <summary>Serves a snapshot; true when it wrote a response (a push the proxy will answer).</summary>
    private async Task<bool> HandleSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        Snapshot = snapshot;
        var before = _responses;
        await OnSnapshotAsync(snapshot, cancellationToken);

        // Only a snapshot that changed something for this stream is a push; one it already had is not.
        if (_responses == before)
        {
            return false;
        }

        Context.Metrics.PushLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(snapshot.BuiltAt));
        return true;
    }

    /// <summary>
    /// The client asks for <paramref name="name"/> of <paramref name="typeUrl"/>, which the proxy's configuration does
    /// not have: logged and counted (the caller does so once per name while it stays missing).
    /// </summary>
    protected void AskedForMissing(string typeUrl, string name)
    {
        var type = TypeUrls.ShortName(typeUrl);
        Context.Metrics.MissingRequested(type);
        var hint = typeUrl == TypeUrls.Listener && Identity?.Kind == ProxyKind.VirtualNode
            ? "; a proxyless gRPC client's target (xds:///name[:port]) must be a virtual service among the node's backends, on a port its provider listens on"
            : "";
        Context.Logger.MissingRequested(Status.Id, ProxyName, type, name, hint);
    }

    /// <summary>Counts a response written to the stream, for the metrics.</summary>
    protected void ResponseWritten(string typeUrl, string variant)
    {
        _responses++;
        Context.Metrics.ResponseSent(TypeUrls.ShortName(typeUrl), variant);
    }

    private Task HandleRequestAsync(TRequest request, CancellationToken cancellationToken)
    {
        if (Identity is null)
        {
            Identify(NodeOf(request));
        }
        else if (NodeOf(request) is { } node && !ReferenceEquals(node, Status.Node))
        {
            NodeChanged(node);
        }

        var typeUrl = TypeUrlOf(request);
        if (FixedTypeUrl is not null && typeUrl.Length > 0 && typeUrl != FixedTypeUrl)
        {
            Reject("type_mismatch", $"this service serves {FixedTypeUrl}; the request asked for {typeUrl}");
        }

        if (FixedTypeUrl is null && typeUrl.Length == 0)
        {
            // ADS carries every type on one stream, so each request must say which it is about (xDS: type_url is
            // required on ADS; go-control-plane ends such a stream too). Ignored, it would leave the proxy waiting.
            Reject("no_type_url", "a request on an aggregated (ADS) stream must set type_url");
        }

        typeUrl = FixedTypeUrl ?? typeUrl;
        if (TypeUrls.Known(typeUrl) is not { } known)
        {
            // A type Mesh does not serve (Envoy asks for one only when its bootstrap names it): the stream goes on
            // serving the others, and the proxy's wait for this one shows in metrics and proxy status.
            Context.Metrics.UnsupportedTypeRequested();
            Status.AskedForUnsupported(typeUrl);
            Context.Logger.UnknownType(Status.Id, typeUrl);
            return Task.CompletedTask;
        }

        typeUrl = known;

        Status.Requested(typeUrl);
        return OnRequestAsync(typeUrl, request, cancellationToken);
    }

    protected abstract Node? NodeOf(TRequest request);

    protected abstract string TypeUrlOf(TRequest request);

    protected abstract Task OnRequestAsync(string typeUrl, TRequest request, CancellationToken cancellationToken);

    protected abstract Task OnSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken);

    /// <summary>The node of the first request names the proxy for the life of the stream (xDS: later requests may omit it).</summary>
    private void Identify(Node? node)
    {
        if (node is null)
        {
            Reject("no_node", "the first request on a stream must carry node with node.id set to the App Mesh resource ARN");
        }

        if (!Context.Parser.TryParse(node!.Id, out var identity, out var error))
        {
            Reject("bad_node_id", error);
        }

        Identity = identity;
        Status.Identify(node, identity!);
        Context.Logger.StreamOpened(Status.Id, Status.Variant, node.Id, identity!.ToString());
        _watch = Context.Cache.Watch(identity, Pump.Offer);
        Register(node, identity);

        // Answer this very request from the current snapshot; the pump delivers the same one again later, which
        // then changes nothing.
        Snapshot = Context.Cache.Current(identity);
        if (Snapshot is null)
        {
            var problem = Context.Cache.Problem(identity);
            if (problem == SnapshotProducer.AwaitingFirstLoad)
            {
                // Expected at a restart, when every proxy reconnects before the load is done: counted, and said once
                // by the feed's "loaded" line, rather than a line per stream (10,000 at once).
                Context.Metrics.StreamWaitedForFirstLoad();
                Context.Logger.WaitingForFirstLoad(Status.Id);
            }
            else
            {
                Context.Logger.Waiting(Status.Id, problem ?? $"waiting for {identity.ShortForm}");
            }
        }
    }

    /// <summary>
    /// A later request whose node differs from the one the stream holds (interned nodes are the same instance for
    /// the same bytes, so a different instance is a different content): CSDS and proxy status show the new one.
    /// The identity stays the first request's: a stream serves one proxy, so a different node.id is refused.
    /// </summary>
    private void NodeChanged(Node node)
    {
        if (node.Id != Status.Node!.Id)
        {
            Reject("node_id_changed", $"node.id changed on the stream from '{Status.Node.Id}' to '{node.Id}'; a stream serves one proxy for its whole life");
        }

        Status.NodeChanged(node);
    }

    /// <summary>A sidecar whose bootstrap carries <c>mesh.registration</c> is kept registered in Cloud Map while connected.</summary>
    private void Register(Node node, ProxyIdentity identity)
    {
        var requested = Registration.RequestedInstance.FromNode(node, out var error);
        if (error is not null)
        {
            // A bad request does not cost the proxy its configuration; it is shown and logged instead.
            Status.Registration = new Registration.RegistrationStatus("INVALID", null, null, error, null);
            Registration.ProxyRegistrations.CountInvalid(Context.Metrics);
            Registration.RegistrationLog.RegistrationInvalid(Context.Logger, Status.Id, identity.ToString(), error);
        }
        else if (requested is not null && Context.Registrations is null)
        {
            Status.Registration = new Registration.RegistrationStatus("WAITING", requested.InstanceId, null, "this xDS server has no database (ConnectionStrings:Mesh), so it registers nothing", null);
        }
        else if (requested is not null)
        {
            _registration = Context.Registrations!.Track(Status, identity, requested);
        }
    }

    private void Reject(string reason, string message)
    {
        Context.Metrics.StreamRejected(reason);
        Context.Logger.StreamRejected(Status.Id, message);
        throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, message));
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _registration?.Dispose();
        Context.Registry.Close(Status);
        if (Context.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            // Checked first: the proxy's name is made for the line, and a restart closes thousands of streams at once.
            Context.Logger.StreamClosed(Status.Id, ProxyName, Pump.EndedBecause ?? "it failed (the call's status says why)");
        }
    }
}
