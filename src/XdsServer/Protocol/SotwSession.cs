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
/// is sent when it appears; a request naming a listener or cluster anew is answered even when nothing it holds changes,
/// since for these types the response is how the client learns a name does not exist;</item>
/// <item>on reconnect, a request whose <c>version_info</c> already matches is not answered (no churn);</item>
/// <item>on a new snapshot, types go out in ADS order (CDS, EDS, LDS, RDS), and LDS/CDS removals are sent only
/// after everything else, listeners before clusters (make-before-break: first the union of old and new, then the new
/// set);</item>
/// <item>a push that adds or changes a cluster the client takes endpoints for sends those endpoints after it even when
/// they did not change ("Resource warming": the server is expected to answer EDS while a cluster warms; an Envoy
/// without an endpoint cache asks again with the same names and version, which reads as an ACK).</item>
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

            state.SentEncoding = null; // answered: the identity's other streams no longer need this stream to keep it
            if (request.ErrorDetail is { } error)
            {
                Context.Metrics.Nack(type);
                Context.Logger.Nack(Status.Id, ProxyName, type, state.SentVersion ?? "", error.Message);
                Status.NackedSet(typeUrl, state.Sent, $"code {error.Code}: {error.Message}", state.SentVersion);
                state.SentNacked = true;
            }
            else
            {
                Context.Metrics.Ack(type);
                Context.Logger.Ack(Status.Id, type, request.VersionInfo);
                Status.AckedSet(typeUrl, state.Sent);
                state.SentNacked = false;
            }
        }

        var first = !state.Subscribed;
        var names = request.ResourceNames;
        // An empty list is the legacy wildcard for LDS and CDS only ("How the client specifies what resources to
        // return"): for RDS, EDS and SDS it names nothing. An Envoy re-requests a type it no longer watches that way
        // after a reconnect, and answering it with everything made later named requests look already served. And only
        // while the client never named anything of the type: after ["*"] (or any name), [] unsubscribes from all.
        state.EverNamed |= names.Count > 0;
        state.Wildcard = names.Contains("*") || (names.Count == 0 && TypeUrls.IsFullState(typeUrl) && !state.EverNamed);
        var namesChanged = state.Request(names);
        state.Subscribed = true;
        if (first && request.VersionInfo.Length > 0)
        {
            state.ClientVersion = request.VersionInfo;
        }
        else if (namesChanged)
        {
            // A request's version_info is the last response the client accepted, whatever names it carried. A
            // selection of the new names with that version is no proof the client holds it: it may have stopped asking
            // for a name (and dropped it) before reconnecting, and now asks again.
            state.ClientVersion = null;
        }

        if (namesChanged)
        {
            Status.Names(typeUrl, state.Wildcard ? null : state.Names);
        }

        if (Snapshot is null)
        {
            return;
        }

        // xDS "Knowing When a Requested Resource Does Not Exist": an LDS or CDS response carries every resource the
        // client asks for, so a response without a name it just added says that name does not exist. It is answered
        // even when what it holds is all there is: unanswered, a client that follows the protocol could not tell
        // (gRPC libraries rely on their own 15 s timer for a name they never held, and lose nothing by the answer).
        // Not when it refused what it holds: a refused version is never re-sent.
        var answerAnyway = namesChanged && TypeUrls.IsFullState(typeUrl) && !state.Wildcard && state.EverSent && !state.SentNacked;
        await SendIfChangedAsync(typeUrl, state, Select(typeUrl, state, Snapshot), Snapshot, cancellationToken, answerAnyway);
        if (namesChanged && !state.Wildcard)
        {
            // Sent or not, the names it no longer asks for are no longer held.
            Status.AsksOnlyFor(typeUrl, state.Names);
        }

        if (namesChanged)
        {
            ReportMissing(typeUrl, state, Snapshot[typeUrl]);
        }
    }

    protected override async Task OnSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        // Made when a change removes something (rarely), and the types walked by index: an enumerator of a list
        // typed as an interface is an object, on every push of every stream.
        List<(string TypeUrl, SotwTypeState State, IReadOnlyList<XdsResource> Final)>? removals = null;
        HashSet<string>? warmingClusters = null;
        var order = TypeUrls.AdsOrder;
        for (var t = 0; t < order.Count; t++)
        {
            var typeUrl = order[t];
            if (!_types.TryGetValue(typeUrl, out var state) || !state.Subscribed)
            {
                continue;
            }

            var desired = Select(typeUrl, state, snapshot);
            if (typeUrl == TypeUrls.Cluster && state.EverSent && TakesEndpoints() && !SameResources(desired, state.Sent))
            {
                warmingClusters = AddedOrChanged(state.Sent, desired);
            }
            else if (typeUrl == TypeUrls.Endpoint && warmingClusters is not null && EndpointsOwedAgain(state, desired, warmingClusters))
            {
                var shared = snapshot[typeUrl].SharedVersionOf(desired);
                await SendAsync(typeUrl, state, desired, shared ?? state.SentVersion!, shared, cancellationToken);
                continue;
            }

            if (TypeUrls.IsFullState(typeUrl) && state.EverSent && !SameResources(desired, state.Sent))
            {
                var keep = desired.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
                var dropped = state.Sent.Where(r => !keep.Contains(r.Name)).ToList();
                if (dropped.Count > 0)
                {
                    await SendIfChangedAsync(typeUrl, state, desired.Concat(dropped).OrderBy(r => r.Name, StringComparer.Ordinal).ToList(), snapshot, cancellationToken);
                    (removals ??= []).Add((typeUrl, state, desired));
                    continue;
                }
            }

            await SendIfChangedAsync(typeUrl, state, desired, snapshot, cancellationToken);
        }

        if (removals is null)
        {
            return;
        }

        removals.Sort(static (a, b) => TypeUrls.RemovalRank(a.TypeUrl).CompareTo(TypeUrls.RemovalRank(b.TypeUrl)));
        foreach (var (typeUrl, state, final) in removals)
        {
            await SendIfChangedAsync(typeUrl, state, final, snapshot, cancellationToken);
        }
    }

    /// <summary>
    /// Logs and counts each name the client just asked for that the proxy's configuration does not have, once while it
    /// stays missing (a name asked for again after it existed, or after the client stopped asking, is logged again).
    /// Only on a change of names: the names an ACK repeats were looked at when they were asked for.
    /// </summary>
    private void ReportMissing(string typeUrl, SotwTypeState state, ResourceSet set)
    {
        state.ReportedMissing?.RemoveWhere(n => Array.BinarySearch(state.Names, n, StringComparer.Ordinal) < 0 || set.ByName.ContainsKey(n));
        if (state.Wildcard)
        {
            return;
        }

        foreach (var name in state.Names)
        {
            if (!set.ByName.ContainsKey(name) && (state.ReportedMissing ??= new(StringComparer.Ordinal)).Add(name))
            {
                AskedForMissing(typeUrl, name);
            }
        }
    }

    /// <summary>
    /// What the client should have of the type: the snapshot's own wildcard list when it asks for everything
    /// (shared, with its version precomputed), the list it last got when nothing it names changed (every ACK),
    /// and otherwise the snapshot's list for those names (shared by the streams that name the same, with its version).
    /// </summary>
    internal static IReadOnlyList<XdsResource> Select(string typeUrl, SotwTypeState state, Snapshot snapshot)
    {
        var set = snapshot[typeUrl];
        if (state.Wildcard && state.Names.Length == 0)
        {
            return set.Wildcard;
        }

        if (!state.Wildcard)
        {
            if (NamedUnchanged(state, set))
            {
                return state.Sent;
            }

            return set.Named(state.Names).Resources;
        }

        return WildcardAndOnDemand(state.Names, set);
    }

    /// <summary>
    /// A wildcard subscriber may also name on-demand resources explicitly (xDS: wildcard plus named). Its own method:
    /// the lambda captures <paramref name="set"/>, and a captured local costs its closure object at the start of the
    /// method that declares it, on every call, which for <see cref="Select"/> was every push and every ACK.
    /// </summary>
    private static List<XdsResource> WildcardAndOnDemand(string[] names, ResourceSet set)
    {
        var onDemand = names.Select(n => set.ByName.GetValueOrDefault(n)).OfType<XdsResource>().Where(r => r.OnDemandOnly);
        return set.Wildcard.Concat(onDemand).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the named resources the snapshot has are exactly (the same instances as) those last sent.</summary>
    private static bool NamedUnchanged(SotwTypeState state, ResourceSet set)
    {
        var sent = state.Sent;
        var i = 0;
        foreach (var name in state.Names)
        {
            if (set.ByName.GetValueOrDefault(name) is { } resource)
            {
                if (i >= sent.Count || !ReferenceEquals(sent[i], resource))
                {
                    return false;
                }

                i++;
            }
        }

        return i == sent.Count;
    }

    /// <summary>
    /// Whether the client holds endpoints it was sent: only then can a changed cluster warm waiting for them, so only
    /// then are the changed clusters worked out (an Envoy whose clusters all use DNS never asks for endpoints).
    /// </summary>
    private bool TakesEndpoints() => _types.TryGetValue(TypeUrls.Endpoint, out var endpoints) && endpoints.EverSent;

    /// <summary>The names of the clusters in <paramref name="now"/> that <paramref name="before"/> did not hold as they are now; null when none.</summary>
    private static HashSet<string>? AddedOrChanged(IReadOnlyList<XdsResource> before, IReadOnlyList<XdsResource> now)
    {
        var held = new Dictionary<string, string>(before.Count, StringComparer.Ordinal);
        for (var i = 0; i < before.Count; i++)
        {
            held[before[i].Name] = before[i].Version;
        }

        HashSet<string>? changed = null;
        for (var i = 0; i < now.Count; i++)
        {
            if (!held.TryGetValue(now[i].Name, out var version) || version != now[i].Version)
            {
                (changed ??= new HashSet<string>(StringComparer.Ordinal)).Add(now[i].Name);
            }
        }

        return changed;
    }

    /// <summary>
    /// Whether the endpoints the client holds, unchanged, must be sent again because a cluster they belong to was just
    /// added or changed and warms until its endpoints arrive. Not when the client refused the endpoints last sent (a
    /// refused version is never sent again), nor when they changed (then they are sent anyway).
    /// </summary>
    private static bool EndpointsOwedAgain(SotwTypeState state, IReadOnlyList<XdsResource> desired, HashSet<string> warmingClusters)
    {
        if (!state.EverSent || state.SentNacked || state.SentVersion is null || !SameResources(desired, state.Sent))
        {
            return false;
        }

        for (var i = 0; i < desired.Count; i++)
        {
            if (warmingClusters.Contains(desired[i].Name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Same resources in the same order; resources are interned, so the same content is the same instance.</summary>
    private static bool SameResources(IReadOnlyList<XdsResource> a, IReadOnlyList<XdsResource> b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!ReferenceEquals(a[i], b[i]) && (a[i].Name != b[i].Name || a[i].Version != b[i].Version))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The version of <paramref name="resources"/> when it is not a list the snapshot shares: what was last sent, or hashed.</summary>
    private static string UnsharedVersionOf(SotwTypeState state, IReadOnlyList<XdsResource> resources)
    {
        if (state.SentVersion is not null && SameResources(resources, state.Sent))
        {
            return state.SentVersion;
        }

        return Hashing.VersionOf(resources);
    }

    /// <param name="evenIfUnchanged">Send the version the client holds again (never one it refused: the caller checks).</param>
    private async Task SendIfChangedAsync(string typeUrl, SotwTypeState state, IReadOnlyList<XdsResource> resources, Snapshot? snapshot, CancellationToken cancellationToken, bool evenIfUnchanged = false)
    {
        // A list the snapshot shares (its wildcard list, a named selection) has its version precomputed, and every
        // stream of the identity that sends it sends the same bytes but the nonce: encoded once (SharedSotwResponses).
        var sharedVersion = snapshot?[typeUrl].SharedVersionOf(resources);
        var version = sharedVersion ?? UnsharedVersionOf(state, resources);
        if (version == state.SentVersion && !evenIfUnchanged)
        {
            return; // includes a version the client NACKed: never re-sent
        }

        if (!state.EverSent && version == state.ClientVersion)
        {
            // A reconnecting client already has exactly this: answering would only churn its config.
            state.SentVersion = version;
            state.Sent = resources;
            state.EverSent = true;
            Status.AckedSet(typeUrl, resources, state.Wildcard);
            return;
        }

        if (!state.EverSent && !state.Wildcard && resources.Count == 0 && !TypeUrls.IsFullState(typeUrl))
        {
            // RDS, EDS, SDS: nothing the client named exists yet; it is sent when it appears. LDS and CDS are answered
            // even empty: there absence is deletion, and a client that kept a listener or cluster over a reconnect
            // (gRPC does) must learn that it is gone.
            return;
        }

        await SendAsync(typeUrl, state, resources, version, sharedVersion, cancellationToken);
    }

    /// <param name="sharedVersion">The version when <paramref name="resources"/> is a list the snapshot shares; else null.</param>
    private async Task SendAsync(string typeUrl, SotwTypeState state, IReadOnlyList<XdsResource> resources, string version, string? sharedVersion, CancellationToken cancellationToken)
    {
        var response = new DiscoveryResponse { VersionInfo = version, TypeUrl = typeUrl, Nonce = NextNonce() };
        for (var i = 0; i < resources.Count; i++)
        {
            response.Resources.Add(resources[i].Packed);
        }

        if (sharedVersion is not null)
        {
            // Held until the client answers, so the identity's other streams in this push find the encoding made.
            state.SentEncoding = SharedSotwResponses.EncodingOf(resources, version, typeUrl);
            await SharedSotwResponses.WriteAsync(responses, response, state.SentEncoding, cancellationToken);
        }
        else
        {
            state.SentEncoding = null;
            await responses.WriteAsync(response, cancellationToken);
        }

        var removed = Context.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug) ? CountRemoved(state.Sent, resources) : 0;
        state.SentNonce = response.Nonce;
        state.SentNacked = false; // a refusal was of the response before: this one is not answered yet
        state.SentVersion = version;
        state.Sent = resources;
        state.EverSent = true;
        Status.SentSet(typeUrl, resources, state.Wildcard);
        ResponseWritten(typeUrl, "sotw");
        Context.Logger.Sent(Status.Id, TypeUrls.ShortName(typeUrl), version, resources.Count, removed, response.Nonce);
    }

    /// <summary>For the log: how many names of the previous response the new one leaves out.</summary>
    private static int CountRemoved(IReadOnlyList<XdsResource> before, IReadOnlyList<XdsResource> after) =>
        before.Count == 0 || ReferenceEquals(before, after) ? 0 : before.Select(r => r.Name).Except(after.Select(r => r.Name), StringComparer.Ordinal).Count();
}
