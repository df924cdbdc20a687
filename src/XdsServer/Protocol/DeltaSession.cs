using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// One incremental (delta) stream, following the xDS protocol document ("Incremental xDS"):
/// <list type="bullet">
/// <item>subscriptions change by <c>resource_names_subscribe</c>/<c>_unsubscribe</c>; an empty first request, or <c>*</c>, is a wildcard;</item>
/// <item><c>initial_resource_versions</c> seed what the client holds, so a reconnect re-sends nothing unchanged, and
/// anything it holds that is gone comes back in <c>removed_resources</c>;</item>
/// <item>a name subscribed to that does not exist is reported once in <c>removed_resources</c>, and sent when it appears;</item>
/// <item>a NACK is recorded against the response it names; the client is assumed to keep what it had, and
/// nothing is re-sent until a resource's version changes;</item>
/// <item>on a new snapshot, additions and updates go out first in ADS order (CDS, EDS, LDS, RDS), and only then
/// the removals, in the same order (make-before-break).</item>
/// </list>
/// </summary>
internal sealed class DeltaSession(
    XdsSessionContext context,
    IServerStreamWriter<DeltaDiscoveryResponse> responses,
    string variant,
    string? fixedTypeUrl)
    : XdsSession<DeltaDiscoveryRequest>(context, variant, fixedTypeUrl)
{
    private readonly Dictionary<string, DeltaTypeState> _types = new(StringComparer.Ordinal);

    protected override Node? NodeOf(DeltaDiscoveryRequest request) => request.Node;

    protected override string TypeUrlOf(DeltaDiscoveryRequest request) => request.TypeUrl;

    protected override async Task OnRequestAsync(string typeUrl, DeltaDiscoveryRequest request, CancellationToken cancellationToken)
    {
        if (!_types.TryGetValue(typeUrl, out var state))
        {
            state = _types[typeUrl] = new DeltaTypeState { ClientHas = Status.Holdings(typeUrl) };
        }

        var type = TypeUrls.ShortName(typeUrl);
        if (!state.Subscribed)
        {
            var current = Snapshot?[typeUrl].ByName;
            foreach (var (name, version) in request.InitialResourceVersions)
            {
                // A version the snapshot has is kept as the snapshot's own strings rather than the request's copies.
                if (current?.GetValueOrDefault(name) is { } resource && resource.Version == version)
                {
                    state.ClientHas.Seed(resource.Name, resource.Version);
                }
                else
                {
                    state.ClientHas.Seed(name, version);
                }
            }

            state.Wildcard = request.ResourceNamesSubscribe.Count == 0;
            state.Subscribed = true;
        }

        if (request.ResponseNonce.Length > 0)
        {
            var index = state.Pending.FindIndex(p => p.Nonce == request.ResponseNonce);
            if (index >= 0)
            {
                var (_, sent) = state.Pending[index];
                state.Pending.RemoveRange(0, index + 1);
                if (request.ErrorDetail is { } error)
                {
                    Context.Metrics.Nack(type);
                    Context.Logger.Nack(Status.Id, ProxyName, type, Snapshot?.Version ?? "", error.Message);
                    Status.Nacked(typeUrl, sent, $"code {error.Code}: {error.Message}");
                }
                else
                {
                    Context.Metrics.Ack(type);
                    Context.Logger.Ack(Status.Id, type, request.ResponseNonce);
                    Status.Acked(typeUrl, sent);
                }
            }
        }

        foreach (var name in request.ResourceNamesSubscribe)
        {
            if (name == "*")
            {
                state.Wildcard = true;
            }
            else
            {
                state.Names.Add(name);
            }
        }

        foreach (var name in request.ResourceNamesUnsubscribe)
        {
            if (name == "*")
            {
                state.Wildcard = false;
                continue;
            }

            state.Names.Remove(name);
            state.ReportedMissing.Remove(name);
            if (!state.Wildcard || Snapshot?[typeUrl].ByName.GetValueOrDefault(name) is { OnDemandOnly: true })
            {
                // The client drops what it unsubscribed from; if it subscribes again, it must be sent again.
                state.ClientHas.Removed(name);
            }
        }

        if (Snapshot is not null)
        {
            var (upserts, removals) = Diff(typeUrl, state, Snapshot);
            await SendAsync(typeUrl, state, upserts, removals, cancellationToken);
        }
    }

    protected override async Task OnSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        var later = new List<(string TypeUrl, DeltaTypeState State, List<string> Removals)>();
        foreach (var typeUrl in TypeUrls.AdsOrder)
        {
            if (_types.TryGetValue(typeUrl, out var state) && state.Subscribed)
            {
                var (upserts, removals) = Diff(typeUrl, state, snapshot);
                await SendAsync(typeUrl, state, upserts, [], cancellationToken);
                later.Add((typeUrl, state, removals));
            }
        }

        foreach (var (typeUrl, state, removals) in later)
        {
            await SendAsync(typeUrl, state, [], removals, cancellationToken);
        }
    }

    private static (List<XdsResource> Upserts, List<string> Removals) Diff(string typeUrl, DeltaTypeState state, Snapshot snapshot)
    {
        var set = snapshot[typeUrl];
        var wanted = state.Names.Select(n => set.ByName.GetValueOrDefault(n)).OfType<XdsResource>();
        if (state.Wildcard)
        {
            wanted = wanted.Concat(set.Wildcard);
        }

        var byName = wanted.DistinctBy(r => r.Name).ToDictionary(r => r.Name, StringComparer.Ordinal);
        var upserts = byName.Values
            .Where(r => state.ClientHas.VersionOf(r.Name) != r.Version)
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        var removals = state.ClientHas.HeldNames().Where(n => !byName.ContainsKey(n)).ToList();

        // xDS "Knowing when a requested resource does not exist": delta says so in removed_resources.
        removals.AddRange(state.Names.Where(n => !byName.ContainsKey(n) && !state.ClientHas.Holds(n) && !state.ReportedMissing.Contains(n)));
        return (upserts, removals.Order(StringComparer.Ordinal).ToList());
    }

    private async Task SendAsync(string typeUrl, DeltaTypeState state, List<XdsResource> upserts, List<string> removals, CancellationToken cancellationToken)
    {
        if (upserts.Count == 0 && removals.Count == 0)
        {
            return;
        }

        var response = new DeltaDiscoveryResponse
        {
            SystemVersionInfo = Snapshot?.Version ?? "",
            TypeUrl = typeUrl,
            Nonce = NextNonce(),
        };
        foreach (var r in upserts)
        {
            response.Resources.Add(r.DeltaResource);
        }

        response.RemovedResources.AddRange(removals);
        await responses.WriteAsync(response, cancellationToken);

        // The client now holds what was sent (the stream status's map is the session's record of it).
        Status.Sent(typeUrl, upserts);
        foreach (var r in upserts)
        {
            state.ReportedMissing.Remove(r.Name);
        }

        foreach (var name in removals)
        {
            if (state.Names.Contains(name))
            {
                state.ReportedMissing.Add(name);
                Status.DoesNotExist(typeUrl, name);
            }
            else
            {
                Status.Removed(typeUrl, name);
            }
        }

        state.Pending.Add((response.Nonce, upserts));
        if (state.Pending.Count > DeltaTypeState.MaxPending)
        {
            state.Pending.RemoveAt(0);
        }

        ResponseWritten(typeUrl, "delta");
        Context.Logger.Sent(Status.Id, TypeUrls.ShortName(typeUrl), response.SystemVersionInfo, upserts.Count, removals.Count, response.Nonce);
    }
}
