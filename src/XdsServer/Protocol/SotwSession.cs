using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// One state-of-the-world stream (ADS or a single-type service), following the xDS protocol document:
/// <list type="bullet">
/// <item>a request whose nonce is not the latest one sent for its type is stale and ignored ("ACK/NACK and resource type instance version");</item>
/// <item>a request with <c>error_detail</c> is a NACK: recorded, logged, counted, and the rejected version is not sent again;
/// only a new version is;</item>
/// <item>LDS/CDS responses carry the full set; RDS/EDS only the names asked for, and a name that does not exist yet
/// is sent when it appears;</item>
/// <item>on reconnect, a request whose <c>version_info</c> already matches is not answered (no churn);</item>
/// <item>on a new snapshot, types go out in ADS order (CDS, EDS, LDS, RDS), and LDS/CDS removals are sent only
/// after everything else (make-before-break: first the union of old and new, then the new set).</item>
/// </list>
/// </summary>
internal sealed class SotwSession(
    XdsSessionContext context,
    IServerStreamWriter<DiscoveryResponse> responses,
    string variant,
    string? fixedTypeUrl)
    : XdsSession<DiscoveryRequest>(context, variant, fixedTypeUrl)
{
    private readonly Dictionary<string, SotwTypeState> _types = new(StringComparer.Ordinal);

    protected override Node? NodeOf(DiscoveryRequest request) => request.Node;

    protected override string TypeUrlOf(DiscoveryRequest request) => request.TypeUrl;

    protected override async Task OnRequestAsync(string typeUrl, DiscoveryRequest request, CancellationToken cancellationToken)
    {
        if (!_types.TryGetValue(typeUrl, out var state))
        {
            state = _types[typeUrl] = new SotwTypeState();
        }

        var type = TypeUrls.ShortName(typeUrl);
        if (state.SentNonce is not null && request.ResponseNonce.Length > 0)
        {
            if (request.ResponseNonce != state.SentNonce)
            {
                Context.Metrics.StaleNonce(type);
                Context.Logger.StaleNonce(Status.Id, type, request.ResponseNonce, state.SentNonce);
                return;
            }

            var sent = state.Sent.Select(r => (r.Name, r.Version)).ToList();
            if (request.ErrorDetail is { } error)
            {
                Context.Metrics.Nack(type);
                Context.Logger.Nack(Status.Id, ProxyName, type, state.SentVersion ?? "", error.Message);
                Status.Nacked(typeUrl, sent, $"code {error.Code}: {error.Message}");
            }
            else
            {
                Context.Metrics.Ack(type);
                Context.Logger.Ack(Status.Id, type, request.VersionInfo);
                Status.Acked(typeUrl, sent);
            }
        }

        var first = !state.Subscribed;
        var names = request.ResourceNames;
        state.Wildcard = names.Contains("*") || (names.Count == 0 && (first || state.Wildcard));
        state.Names = names.Where(n => n != "*").ToHashSet(StringComparer.Ordinal);
        state.Subscribed = true;
        if (first && request.VersionInfo.Length > 0)
        {
            state.ClientVersion = request.VersionInfo;
        }

        if (Snapshot is null)
        {
            return;
        }

        await SendIfChangedAsync(typeUrl, state, Select(typeUrl, state, Snapshot), cancellationToken);
    }

    protected override async Task OnSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        var removals = new List<(string TypeUrl, SotwTypeState State, IReadOnlyList<XdsResource> Final)>();
        foreach (var typeUrl in TypeUrls.AdsOrder)
        {
            if (!_types.TryGetValue(typeUrl, out var state) || !state.Subscribed)
            {
                continue;
            }

            var desired = Select(typeUrl, state, snapshot);
            if (TypeUrls.IsFullState(typeUrl) && state.EverSent)
            {
                var keep = desired.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
                var dropped = state.Sent.Where(r => !keep.Contains(r.Name)).ToList();
                if (dropped.Count > 0)
                {
                    await SendIfChangedAsync(typeUrl, state, desired.Concat(dropped).OrderBy(r => r.Name, StringComparer.Ordinal).ToList(), cancellationToken);
                    removals.Add((typeUrl, state, desired));
                    continue;
                }
            }

            await SendIfChangedAsync(typeUrl, state, desired, cancellationToken);
        }

        foreach (var (typeUrl, state, final) in removals)
        {
            await SendIfChangedAsync(typeUrl, state, final, cancellationToken);
        }
    }

    private static IReadOnlyList<XdsResource> Select(string typeUrl, SotwTypeState state, Snapshot snapshot)
    {
        var set = snapshot[typeUrl];
        if (!state.Wildcard)
        {
            return state.Names.Order(StringComparer.Ordinal).Select(n => set.ByName.GetValueOrDefault(n)).OfType<XdsResource>().ToList();
        }

        // A wildcard subscriber may also name on-demand resources explicitly (xDS: wildcard plus named).
        var onDemand = state.Names.Select(n => set.ByName.GetValueOrDefault(n)).OfType<XdsResource>().Where(r => r.OnDemandOnly);
        return set.Wildcard.Concat(onDemand).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    private async Task SendIfChangedAsync(string typeUrl, SotwTypeState state, IReadOnlyList<XdsResource> resources, CancellationToken cancellationToken)
    {
        var version = Hashing.VersionOf(resources);
        if (version == state.SentVersion)
        {
            return; // includes a version the client NACKed: never re-sent
        }

        if (!state.EverSent && version == state.ClientVersion)
        {
            // A reconnecting client already has exactly this: answering would only churn its config.
            state.SentVersion = version;
            state.Sent = resources;
            state.EverSent = true;
            Status.Acked(typeUrl, resources.Select(r => (r.Name, r.Version)));
            return;
        }

        if (!state.EverSent && !state.Wildcard && resources.Count == 0)
        {
            return; // nothing the client named exists yet; it is sent when it appears
        }

        var response = new DiscoveryResponse { VersionInfo = version, TypeUrl = typeUrl, Nonce = NextNonce() };
        response.Resources.AddRange(resources.Select(r => r.Packed));
        await responses.WriteAsync(response, cancellationToken);

        var removed = state.Sent.Select(r => r.Name).Except(resources.Select(r => r.Name), StringComparer.Ordinal).ToList();
        state.SentNonce = response.Nonce;
        state.SentVersion = version;
        state.Sent = resources;
        state.EverSent = true;
        foreach (var r in resources)
        {
            Status.Sent(typeUrl, r.Name, r.Version);
        }

        if (TypeUrls.IsFullState(typeUrl))
        {
            foreach (var name in removed)
            {
                Status.Removed(typeUrl, name);
            }
        }

        ResponseWritten(typeUrl, "sotw");
        Context.Logger.Sent(Status.Id, TypeUrls.ShortName(typeUrl), version, resources.Count, removed.Count, response.Nonce);
    }
}
