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
/// the removals, those that refer before those referred to: LDS, RDS, CDS, EDS, SDS (make-before-break);</item>
/// <item>a cluster added or changed is followed by its endpoints, even unchanged ("Resource warming").</item>
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

    /// <summary>How this stream writes the responses it shares with the identity's other streams (made at the first).</summary>
    private SharedDeltaWriter? _sharedWriter;

    protected override Node? NodeOf(DeltaDiscoveryRequest request) => request.Node;

    protected override string TypeUrlOf(DeltaDiscoveryRequest request) => request.TypeUrl;

    private static readonly IReadOnlyList<XdsResource> NoUpserts = [];
    private static readonly IReadOnlyList<string> NoRemovals = [];

    protected override async Task OnRequestAsync(string typeUrl, DeltaDiscoveryRequest request, CancellationToken cancellationToken)
    {
        if (!_types.TryGetValue(typeUrl, out var state))
        {
            state = _types[typeUrl] = new DeltaTypeState { ClientHas = Status.Holdings(typeUrl) };
        }

        var type = TypeUrls.ShortName(typeUrl);
        var firstRequest = !state.Subscribed;
        if (firstRequest)
        {
            var current = Snapshot?[typeUrl].ByName;
            var held = request.InitialResourceVersions.Count > 0 ? Status.HeldOnConnecting() : null;
            foreach (var (name, version) in request.InitialResourceVersions)
            {
                // A version the snapshot has is kept as the snapshot's own strings rather than the request's copies.
                if (current?.GetValueOrDefault(name) is { } resource && resource.Version == version)
                {
                    state.ClientHas.Seed(resource.Name, resource.Version, held!);
                }
                else
                {
                    state.ClientHas.Seed(name, version, held!);
                }
            }

            state.Wildcard = request.ResourceNamesSubscribe.Count == 0;
            state.Subscribed = true;
            state.InSyncWith = null;
        }

        var nonce = request.ResponseNonce;
        var index = nonce.Length > 0 ? state.PendingIndex(nonce) : -1;
        long forgotten = 0;
        if (index >= 0 || (nonce.Length > 0 && state.WasForgotten(nonce, out forgotten)))
        {
            DeltaOutcome answer;
            if (request.ErrorDetail is { } error)
            {
                Context.Metrics.Nack(type);
                Context.Logger.Nack(Status.Id, ProxyName, type, Snapshot?.Version ?? "", error.Message);
                answer = Status.Nack($"code {error.Code}: {error.Message}");
            }
            else
            {
                Context.Metrics.Ack(type);
                Context.Logger.Ack(Status.Id, type, nonce);
                answer = Status.Ack();
            }

            if (index < 0)
            {
                // The answer to a response forgotten past the pending limit (Envoy answers every one, in order).
                state.AnsweredForgotten(forgotten, answer);
            }
            else
            {
                var (sent, outcome) = state.Answered(index, answer);
                if (state.SharedFirst is not null && state.PendingIndex(state.SharedFirstNonce!) < 0)
                {
                    state.SharedFirst = null; // answered: the identity's streams that connect later make it again if it was collected
                }

                state.ClientHas.Answered(sent, outcome, answer);
                if (answer.ClientStatus == Envoy.Admin.V3.ClientResourceStatus.Acked
                    && state.PendingCount == 0 && state.Wildcard && !state.HasNames
                    && state.InSyncWith is { } inSync && ReferenceEquals(inSync, Snapshot?[typeUrl]))
                {
                    // Every response is answered and the client holds exactly the current set: its holdings can
                    // refer to that set alone and let go of the earlier one (and the entries kept over it).
                    state.ClientHas.Rebase(inSync);
                }
            }
        }
        else if (nonce.Length > 0)
        {
            // An answer to no response awaiting one: a nonce this stream never sent (another server's, or garbage), or
            // one already answered. It answers nothing, but is not ignored unseen (SotW counts its stale nonces alike).
            Context.Metrics.StaleNonce(type);
            Context.Logger.StaleDeltaNonce(Status.Id, type, nonce, state.PendingCount);
        }

        // By index: a RepeatedField's enumerator is an object, and every ACK carries both lists, empty.
        var subscribe = request.ResourceNamesSubscribe;
        var unsubscribe = request.ResourceNamesUnsubscribe;
        if (subscribe.Count > 0 || unsubscribe.Count > 0)
        {
            state.InSyncWith = null;
        }

        for (var i = 0; i < subscribe.Count; i++)
        {
            var name = subscribe[i];
            if (name == "*")
            {
                state.Wildcard = true;
            }
            else
            {
                state.Subscribe(name);
                if (!firstRequest)
                {
                    // xDS "Subscribing to Resources": a name subscribed to is sent even if the server thinks the client
                    // has it (Envoy re-subscribes when a new watch finds it forgot its copy). On the first request the
                    // names held are in initial_resource_versions, which the holdings were seeded from.
                    state.ClientHas.Removed(name);
                    state.NoLongerMissing(name);
                }
            }
        }

        // Names are judged against the wildcard as the request leaves it, whatever their order against "*".
        var wasWildcard = state.Wildcard;
        for (var i = 0; i < unsubscribe.Count; i++)
        {
            if (unsubscribe[i] == "*")
            {
                state.Wildcard = false;
            }
        }

        for (var i = 0; i < unsubscribe.Count; i++)
        {
            var name = unsubscribe[i];
            if (name == "*")
            {
                continue;
            }

            state.Unsubscribe(name);
            if (!wasWildcard)
            {
                // The client drops what it unsubscribed from; if it subscribes again, it must be sent again.
                state.ClientHas.Removed(name);
            }
            else if (state.Wildcard && Snapshot?[typeUrl].ByName.GetValueOrDefault(name) is { OnDemandOnly: false })
            {
                // A wildcard subscriber cannot tell whether the wildcard also covers the name, so it keeps its copy and
                // waits to be told (Envoy's "ambiguous" resources): the wildcard does, so it is sent again. One it no
                // longer gets (on demand only, or the wildcard went too) stays held, and the diff sends its removal.
                state.ClientHas.Removed(name);
            }
            else if (state.Wildcard && Snapshot is null && state.ClientHas.Holds(name))
            {
                // Held from an earlier stream (initial_resource_versions), and no snapshot yet to judge by: the first
                // diff answers it either way.
                state.AnswerAtNextDiff(name);
            }
        }

        if (firstRequest && state.Wildcard && request.InitialResourceVersions.Count == 0)
        {
            state.OwesFirstResponse = true; // as the request leaves the subscription (a "*" it also dropped owes nothing)
        }

        if (Snapshot is { } snapshot)
        {
            if (SharedFirst(typeUrl, state, snapshot) is { } first)
            {
                if (first.UpsertResponse is { } response)
                {
                    state.SharedFirstNonce = await WriteAsync(typeUrl, state, snapshot[typeUrl], response, first.Upserts, first.Removals, cancellationToken, shared: true);
                    state.SharedFirst = first;
                }
                else
                {
                    await SendAsync(typeUrl, state, snapshot[typeUrl], NoUpserts, NoRemovals, cancellationToken); // owed, if anything
                }
            }
            else
            {
                var (upserts, removals) = Diff(typeUrl, state, snapshot);
                await SendAsync(typeUrl, state, snapshot[typeUrl], upserts, removals, cancellationToken);
            }

            state.InSyncWith = snapshot[typeUrl];
        }
    }

    /// <summary>
    /// The response to a request from a stream that holds nothing of the type (its first, with no
    /// <c>initial_resource_versions</c>; or one after it dropped all it had), shared with the identity's other
    /// streams that hold nothing and subscribe alike: the diff from nothing depends only on the subscription and
    /// the set, so the first of them works it out and encodes it (<see cref="DeltaChange"/>, one response carrying
    /// the resources and the names that do not exist) and the others write those bytes. Null when the stream holds
    /// something, or both takes the wildcard and names resources, or asks for nothing, or is in sync already.
    /// </summary>
    private DeltaChange? SharedFirst(string typeUrl, DeltaTypeState state, Snapshot snapshot)
    {
        var set = snapshot[typeUrl];
        if (ReferenceEquals(state.InSyncWith, set) || state.Wildcard == state.HasNames || !state.ClientHas.IsEmpty || state.HasReportedMissing)
        {
            return null;
        }

        var names = state.Wildcard ? null : state.Names;
        if (set.FindFirstDeltaResponse(state.Wildcard, names, snapshot.Version) is { } found)
        {
            Context.Metrics.DeltaFirstResponseShared(TypeUrls.ShortName(typeUrl));
            return found;
        }

        var (upserts, removals) = Diff(typeUrl, state, snapshot);
        var made = new DeltaChange(typeUrl, DeltaChange.FromNothing, state.Wildcard, names, snapshot.Version, upserts, removals, oneResponse: true);
        var kept = set.KeepFirstDeltaResponse(made);
        if (!ReferenceEquals(kept, made))
        {
            Context.Metrics.DeltaFirstResponseShared(TypeUrls.ShortName(typeUrl)); // another stream kept one first
        }

        return kept;
    }

    /// <summary>Where a push's removals response for <paramref name="typeUrl"/> goes among those sent last.</summary>
    private static int SendRank(string typeUrl, DeltaTypeState state)
    {
        if (state.OwesFirstResponse)
        {
            for (var i = 0; i < TypeUrls.AdsOrder.Count; i++)
            {
                if (TypeUrls.AdsOrder[i] == typeUrl)
                {
                    return i;
                }
            }
        }

        return TypeUrls.AdsOrder.Count + TypeUrls.RemovalRank(typeUrl);
    }

    protected override async Task OnSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        // Most changes remove nothing from a proxy, so the list of removals sent last is made only when one does.
        List<(string TypeUrl, DeltaTypeState State, IReadOnlyList<string> Removals, DeltaDiscoveryResponse? Shared)>? later = null;
        IReadOnlyList<XdsResource>? warmingClusters = null; // the clusters this push adds or changes
        var order = TypeUrls.AdsOrder; // by index: an interface's enumerator is an object, twice per push of every stream
        for (var t = 0; t < order.Count; t++)
        {
            var typeUrl = order[t];
            if (_types.TryGetValue(typeUrl, out var state) && state.Subscribed)
            {
                var set = snapshot[typeUrl];
                var endpointsOwed = typeUrl == TypeUrls.Endpoint && warmingClusters is { Count: > 0 } && OweEndpointsAgain(state, set, warmingClusters);
                if (!endpointsOwed && SharedChange(typeUrl, state, snapshot) is { } change)
                {
                    if (typeUrl == TypeUrls.Cluster)
                    {
                        warmingClusters = change.Upserts;
                    }

                    if (change.UpsertResponse is { } upsert)
                    {
                        await WriteAsync(typeUrl, state, set, upsert, change.Upserts, NoRemovals, cancellationToken, shared: true);
                    }
                    else if (change.Removals.Count == 0 && state.Wildcard)
                    {
                        // The content is what the client holds: the holdings may refer to this set instead of the
                        // earlier one, which they would otherwise keep alive.
                        state.ClientHas.Rebase(set);
                    }

                    if (change.RemovalResponse is { } removal)
                    {
                        (later ??= []).Add((typeUrl, state, change.Removals, removal));
                    }

                    continue;
                }

                var (upserts, removals) = Diff(typeUrl, state, snapshot);
                if (typeUrl == TypeUrls.Cluster)
                {
                    warmingClusters = upserts;
                }

                if (upserts.Count > 0 || removals.Count == 0)
                {
                    // An owed empty first response is not written when the removals' response below answers instead.
                    await SendAsync(typeUrl, state, set, upserts, NoRemovals, cancellationToken);
                }

                if (removals.Count > 0)
                {
                    (later ??= []).Add((typeUrl, state, removals, null));
                }
            }
        }

        // A type still owed its first response is answered by the one naming the names that do not exist: it goes
        // first, in ADS order, as a first response would. Then the removals, referrers first.
        later?.Sort(static (a, b) => SendRank(a.TypeUrl, a.State).CompareTo(SendRank(b.TypeUrl, b.State)));
        for (var i = 0; i < (later?.Count ?? 0); i++)
        {
            var (typeUrl, state, removals, shared) = later![i];
            if (shared is not null)
            {
                await WriteAsync(typeUrl, state, snapshot[typeUrl], shared, NoUpserts, removals, cancellationToken, shared: true);
            }
            else
            {
                await SendAsync(typeUrl, state, snapshot[typeUrl], NoUpserts, removals, cancellationToken);
            }
        }

        for (var t = 0; t < order.Count; t++)
        {
            if (_types.TryGetValue(order[t], out var state) && state.Subscribed)
            {
                state.InSyncWith = snapshot[order[t]];
            }
        }
    }

    /// <summary>
    /// Marks the endpoints of clusters this push added or changed to be sent again though the client holds them at
    /// their current version: such a cluster warms until its endpoints arrive (xDS, "Resource warming"), and an Envoy
    /// without an endpoint cache subscribes to nothing new for it, so would otherwise wait for its initial fetch
    /// timeout. True when any is owed; the diff then compares the whole set rather than taking a shared change. Not
    /// endpoints the client refused: a refused version is never sent again.
    /// </summary>
    private static bool OweEndpointsAgain(DeltaTypeState state, ResourceSet set, IReadOnlyList<XdsResource> warmingClusters)
    {
        var owed = false;
        for (var i = 0; i < warmingClusters.Count; i++)
        {
            var name = warmingClusters[i].Name;
            if (state.IsNamed(name) && set.ByName.TryGetValue(name, out var endpoints)
                && string.Equals(state.ClientHas.VersionOf(name), endpoints.Version, StringComparison.Ordinal)
                && !state.ClientHas.Refused(name))
            {
                state.AnswerAtNextDiff(name);
                owed = true;
            }
        }

        if (owed)
        {
            state.InSyncWith = null;
        }

        return owed;
    }

    /// <summary>
    /// The change this stream shares with the identity's other streams in the same position (see
    /// <see cref="DeltaChange"/>), made now if none of them made it yet; null when the stream differs from what any
    /// shared change assumes: it was not in sync with a set before this one, or it both takes the wildcard and
    /// names resources (what on-demand names it holds is its own), or it asks for nothing.
    /// </summary>
    private DeltaChange? SharedChange(string typeUrl, DeltaTypeState state, Snapshot snapshot)
    {
        var set = snapshot[typeUrl];
        if (state.InSyncWith is not { } from || ReferenceEquals(from, set) || state.Wildcard == state.HasNames)
        {
            return null;
        }

        // In sync with `from`, a wildcard client holds exactly its wildcard list; a client that names resources
        // holds exactly those of them that exist, and was told of the others. Either is named by a content version.
        var fromVersion = state.Wildcard ? from.WildcardVersion : from.AllVersion;
        var names = state.Wildcard ? null : state.Names;
        if (set.FindDeltaChange(fromVersion, state.Wildcard, names, snapshot.Version) is { } found)
        {
            Context.Metrics.DeltaChangeShared(TypeUrls.ShortName(typeUrl));
            return found;
        }

        var (upserts, removals) = Diff(typeUrl, state, snapshot);
        var made = new DeltaChange(typeUrl, fromVersion, state.Wildcard, names, snapshot.Version, upserts, removals);
        var kept = set.KeepDeltaChange(made);
        if (!ReferenceEquals(kept, made))
        {
            Context.Metrics.DeltaChangeShared(TypeUrls.ShortName(typeUrl)); // another stream kept one first
        }

        return kept;
    }

    /// <summary>
    /// What to send so that the client holds what it asks for of <paramref name="snapshot"/>: the resources it
    /// lacks or holds at another version (sorted by name), and the names to remove (sorted): those it holds and
    /// no longer gets, and those it named that do not exist and were not reported yet. Nothing is allocated when
    /// there is nothing to send (every ACK, and every type a change leaves as it was, on every stream).
    /// </summary>
    private static (IReadOnlyList<XdsResource> Upserts, IReadOnlyList<string> Removals) Diff(string typeUrl, DeltaTypeState state, Snapshot snapshot)
    {
        var set = snapshot[typeUrl];
        if (ReferenceEquals(state.InSyncWith, set))
        {
            return (NoUpserts, NoRemovals);
        }

        var holdings = state.ClientHas;
        List<XdsResource>? upserts = null;
        List<string>? removals = null;
        var sortUpserts = false;
        var heldAndWanted = 0;
        var mustAnswer = state.TakeNamesToAnswer();

        void Compare(XdsResource resource)
        {
            var held = holdings.VersionOf(resource.Name);
            if (held is not null)
            {
                heldAndWanted++;
            }

            if (!string.Equals(held, resource.Version, StringComparison.Ordinal) || mustAnswer?.Contains(resource.Name) == true)
            {
                (upserts ??= []).Add(resource);
            }
        }

        if (state.Wildcard)
        {
            var wildcard = set.Wildcard;
            for (var i = 0; i < wildcard.Count; i++)
            {
                Compare(wildcard[i]);
            }
        }

        if (state.Names is { Count: > 0 } names)
        {
            foreach (var name in names)
            {
                if (set.ByName.TryGetValue(name, out var resource))
                {
                    if (!state.Wildcard || resource.OnDemandOnly)
                    {
                        // Not already compared as part of the wildcard (a wildcard subscriber may also name on-demand resources).
                        Compare(resource);
                        sortUpserts = true;
                    }
                }
                else if (!holdings.Holds(name) && !state.WasReportedMissing(name))
                {
                    // xDS "Knowing when a requested resource does not exist": delta says so in removed_resources.
                    (removals ??= []).Add(name);
                }
            }
        }

        if (holdings.HeldCount != heldAndWanted)
        {
            foreach (var name in holdings.HeldNames())
            {
                var wanted = set.ByName.TryGetValue(name, out var resource) && ((state.Wildcard && !resource.OnDemandOnly) || state.IsNamed(name));
                if (!wanted)
                {
                    (removals ??= []).Add(name);
                }
            }
        }

        removals?.Sort(StringComparer.Ordinal);
        if (state.Wildcard && !sortUpserts && upserts is not null && upserts.Count == set.Wildcard.Count)
        {
            // Everything the snapshot has for a wildcard (a first response): the set's own list, the same resources
            // in the same order, which the client's holdings then keep as one reference (DeltaHoldings' baseline).
            return (set.Wildcard, (IReadOnlyList<string>?)removals ?? NoRemovals);
        }

        if (sortUpserts && upserts is { Count: > 1 })
        {
            upserts.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        }

        return ((IReadOnlyList<XdsResource>?)upserts ?? NoUpserts, (IReadOnlyList<string>?)removals ?? NoRemovals);
    }

    private Task SendAsync(string typeUrl, DeltaTypeState state, ResourceSet set, IReadOnlyList<XdsResource> upserts, IReadOnlyList<string> removals, CancellationToken cancellationToken)
    {
        if (upserts.Count == 0 && removals.Count == 0 && !state.OwesFirstResponse)
        {
            return Task.CompletedTask;
        }

        var response = DeltaResponses.Create(Snapshot?.Version ?? "", typeUrl, NextNonce(), upserts, removals);
        return WriteAsync(typeUrl, state, set, response, upserts, removals, cancellationToken);
    }

    /// <summary>
    /// Writes a response (this stream's own, or one <paramref name="shared"/> by the identity's streams, which is
    /// written with a nonce of this stream's) and records what the client now holds. Returns the nonce written.
    /// </summary>
    private async Task<string> WriteAsync(string typeUrl, DeltaTypeState state, ResourceSet set, DeltaDiscoveryResponse response, IReadOnlyList<XdsResource> upserts, IReadOnlyList<string> removals, CancellationToken cancellationToken, bool shared = false)
    {
        var nonce = response.Nonce;
        if (shared)
        {
            // A nonce names one response on its stream, and a stream can be sent one shared response twice (a name
            // dropped and subscribed to again while nothing changed): each write takes the stream's next nonce.
            nonce = NextNonce();
            await (_sharedWriter ??= new SharedDeltaWriter()).WriteAsync(responses, response, nonce, cancellationToken);
        }
        else
        {
            await responses.WriteAsync(response, cancellationToken);
        }

        state.OwesFirstResponse = false;

        // The client now holds what was sent (the stream status's map is the session's record of it).
        var sent = Status.Sent(state.ClientHas, upserts, set, StreamNonces.Number(nonce), state.ForgottenThrough);
        for (var i = 0; i < upserts.Count; i++)
        {
            state.NoLongerMissing(upserts[i].Name);
        }

        for (var i = 0; i < removals.Count; i++)
        {
            var name = removals[i];
            // What the client held of a removed name is kept until it answers: refused, it still runs that (CSDS shows it).
            if (state.IsNamed(name))
            {
                // Logged and counted only when the client held nothing of it: a resource a push removes while the
                // client still names it (an Envoy's route configuration, until the listener update lands) is an
                // ordinary removal, which would otherwise log once for every proxy the push reaches.
                var held = state.ClientHas.Holds(name);
                state.ReportedMissing(name);
                Status.DoesNotExist(state.ClientHas, name, sent);
                if (!held)
                {
                    AskedForMissing(typeUrl, name);
                }
            }
            else
            {
                state.ClientHas.RemovedBy(name, sent);
            }
        }

        state.AddPending(nonce, upserts, sent);

        ResponseWritten(typeUrl, "delta");
        Context.Logger.Sent(Status.Id, TypeUrls.ShortName(typeUrl), response.SystemVersionInfo, upserts.Count, removals.Count, nonce);
        return nonce;
    }
}
