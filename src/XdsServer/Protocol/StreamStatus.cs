using Envoy.Admin.V3;
using Envoy.Config.Core.V3;
using Envoy.Service.Status.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// The client-side view of one xDS stream, kept for CSDS: the node, and for each resource the version sent and
/// whether the client ACKed or NACKed it. Written by the stream's own loop, read by CSDS; hence the lock.
/// <para>
/// A state-of-the-world stream keeps, per type, one <c>SotwTypeStatus</c>: the resources of its latest response
/// (the very list the session holds, shared with the snapshot) and what the client said of them. Every resource
/// of a response is ACKed or NACKed together, so names and versions are resolved only when CSDS or proxy status
/// asks, and a send or an ACK costs one small record instead of a dictionary entry per resource. A delta stream
/// ACKs each response's own subset, so it keeps per type a name → (version, outcome) entry, where the outcome
/// (what the client said, and when) is one object shared by every resource of the response or ACK it came from:
/// a delta proxy holds tens of resources, and a record per resource per ACK was most of what its status cost.
/// That map (<see cref="DeltaHoldings"/>) is also the delta session's record of what the client holds, so each
/// version is kept once per stream.
/// </para>
/// </summary>
public sealed class StreamStatus(long id, string variant, TimeProvider clock)
{
    private readonly Lock _lock = new();
    private readonly List<string> _requestedTypes = new(4);
    private readonly List<SotwTypeStatus> _sets = new(4);
    private Dictionary<string, string[]>? _named; // SotW: what each subscription that names resources asks for
    private List<DeltaHoldings>? _delta;

    public long Id { get; } = id;

    /// <summary>ads, ads-delta, lds, lds-delta, …</summary>
    public string Variant { get; } = variant;

    public Node? Node { get; private set; }

    public ProxyIdentity? Identity { get; private set; }

    /// <summary>The proxy's automatic Cloud Map registration; null when its bootstrap asks for none.</summary>
    public Registration.RegistrationStatus? Registration { get => _registration; set => _registration = value; }

    private volatile Registration.RegistrationStatus? _registration;

    public void Identify(Node node, ProxyIdentity identity)
    {
        lock (_lock)
        {
            Node = node;
            Identity = identity;
        }
    }

    /// <summary>A later request carried a different node with the same id (the identity does not change).</summary>
    public void NodeChanged(Node node)
    {
        lock (_lock)
        {
            Node = node;
        }
    }

    /// <summary>The types this stream has asked for, in ordinal order.</summary>
    public IReadOnlyList<string> RequestedTypes
    {
        get
        {
            lock (_lock)
            {
                return _requestedTypes.Order(StringComparer.Ordinal).ToList();
            }
        }
    }

    /// <summary>The resource types the stream asked for that the server does not serve (at most <see cref="MaxUnsupported"/>); null when none.</summary>
    public IReadOnlyList<string>? UnsupportedTypes
    {
        get
        {
            lock (_lock)
            {
                return _unsupported?.ToList();
            }
        }
    }

    /// <summary>How many unsupported types a stream's status names, each cut to <see cref="MaxUnsupportedLength"/> characters: the client chooses them.</summary>
    public const int MaxUnsupported = 8, MaxUnsupportedLength = 200;

    private List<string>? _unsupported;

    /// <summary>The stream asked for a type the server does not serve.</summary>
    public void AskedForUnsupported(string typeUrl)
    {
        var shown = typeUrl.Length > MaxUnsupportedLength ? typeUrl[..MaxUnsupportedLength] : typeUrl;
        lock (_lock)
        {
            if ((_unsupported?.Count ?? 0) < MaxUnsupported && _unsupported?.Contains(shown) != true)
            {
                (_unsupported ??= new(1)).Add(shown);
            }
        }
    }

    public void Requested(string typeUrl)
    {
        lock (_lock)
        {
            if (!_requestedTypes.Contains(typeUrl))
            {
                _requestedTypes.Add(typeUrl);
            }
        }
    }

    /// <summary>
    /// State of the world: <paramref name="resources"/> were sent as the type's whole response. Of the type's
    /// earlier resources, LDS and CDS drop those left out (a missing resource is removed); RDS and EDS keep them
    /// as they were (the client keeps a resource it is no longer sent). <paramref name="wildcard"/>: the
    /// subscription names nothing (so an empty response answers all it asks).
    /// </summary>
    public void SentSet(string typeUrl, IReadOnlyList<XdsResource> resources, bool wildcard = true) =>
        SetState(typeUrl, resources, ClientResourceStatus.Requested, null, keepLeftOut: !TypeUrls.IsFullState(typeUrl), wildcard);

    /// <summary>State of the world: the client ACKed the response that carried <paramref name="resources"/>.</summary>
    public void AckedSet(string typeUrl, IReadOnlyList<XdsResource> resources, bool? wildcard = null) =>
        SetState(typeUrl, resources, ClientResourceStatus.Acked, null, keepLeftOut: true, wildcard);

    /// <summary>
    /// State of the world, RDS or EDS: the client now asks only for <paramref name="requested"/> (sorted). What earlier
    /// responses carried of other names is no longer shown: the client dropped those resources when it stopped asking.
    /// </summary>
    public void AsksOnlyFor(string typeUrl, string[] requested)
    {
        lock (_lock)
        {
            foreach (var set in _sets)
            {
                if (set.TypeUrl == typeUrl)
                {
                    set.KeepOnly(requested);
                }
            }
        }
    }

    /// <summary>
    /// State of the world: the names (sorted) the client's subscription to <paramref name="typeUrl"/> asks for, or null
    /// when it asks for everything. Proxy status reads which of them the proxy's configuration does not have.
    /// </summary>
    public void Names(string typeUrl, string[]? names)
    {
        lock (_lock)
        {
            if (names is null)
            {
                _named?.Remove(typeUrl);
            }
            else
            {
                (_named ??= new(StringComparer.Ordinal))[typeUrl] = names;
            }
        }
    }

    /// <summary>State of the world: the names each subscription that names resources asks for, by type URL.</summary>
    public IReadOnlyDictionary<string, string[]> NamedSubscriptions
    {
        get
        {
            lock (_lock)
            {
                return _named is null ? new Dictionary<string, string[]>() : new Dictionary<string, string[]>(_named, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// State of the world: the client NACKed the response that carried <paramref name="resources"/>, whose
    /// <c>version_info</c> was <paramref name="version"/>. The client keeps what it last ACKed: of the response, a
    /// resource it already held at that version stays ACKed, and the others are NACKED over the version it keeps.
    /// </summary>
    public void NackedSet(string typeUrl, IReadOnlyList<XdsResource> resources, string error, string? version = null) =>
        SetState(typeUrl, resources, ClientResourceStatus.Nacked, error, keepLeftOut: true, refusedVersion: version);

    // Delta, from a session that keeps each type's holdings (DeltaTypeState.ClientHas): the same as the overloads by
    // type URL below without looking the type up under the lock on every send and every ACK.
    internal DeltaOutcome Sent(DeltaHoldings holdings, IReadOnlyList<XdsResource> resources, Snapshots.ResourceSet? from, long nonce = 0, long forgottenThrough = 0) =>
        holdings.Sent(resources, clock.GetUtcNow(), from, nonce, forgottenThrough);

    /// <summary>Delta: a name the client subscribed to was reported as not existing; <paramref name="removedBy"/>: by the response of that outcome, which removed it from the client if it held it.</summary>
    internal void DoesNotExist(DeltaHoldings holdings, string name, DeltaOutcome? removedBy = null) => holdings.DoesNotExist(name, clock.GetUtcNow(), removedBy);

    /// <summary>
    /// Delta: the outcome of the versions a client says it has on connecting (<c>initial_resource_versions</c>): it
    /// accepted each on an earlier stream, so they show as ACKed, from now.
    /// </summary>
    internal DeltaOutcome HeldOnConnecting() => new(ConfigStatus.Synced, ClientResourceStatus.Acked, null, clock.GetUtcNow());

    /// <summary>Delta: an ACK, from now (given to the responses it answers).</summary>
    internal DeltaOutcome Ack() => new(ConfigStatus.Synced, ClientResourceStatus.Acked, null, clock.GetUtcNow());

    /// <summary>Delta: a NACK with <paramref name="error"/>, from now.</summary>
    internal DeltaOutcome Nack(string error) => new(ConfigStatus.Error, ClientResourceStatus.Nacked, error, clock.GetUtcNow());

    /// <summary>Delta: the client ACKed the response that carried <paramref name="resources"/>, whose outcome was <paramref name="sent"/>.</summary>
    internal void Acked(DeltaHoldings holdings, IReadOnlyList<XdsResource> resources, DeltaOutcome sent) =>
        holdings.Answered(resources, sent, Ack());

    /// <summary>Delta: the client NACKed the response that carried <paramref name="resources"/>, whose outcome was <paramref name="sent"/>.</summary>
    internal void Nacked(DeltaHoldings holdings, IReadOnlyList<XdsResource> resources, DeltaOutcome sent, string error) =>
        holdings.Answered(resources, sent, Nack(error));

    /// <summary>Delta: one resource sent, as a response of its own (whose outcome is returned, to answer it by).</summary>
    internal DeltaOutcome Sent(string typeUrl, string name, string version) => Holdings(typeUrl).Sent(name, version, clock.GetUtcNow());

    /// <summary>
    /// Delta: the resources of one response sent; they share one outcome until the client answers, which is returned
    /// to answer it by. <paramref name="from"/> is the set they were taken from (see
    /// <see cref="DeltaHoldings.Sent(IReadOnlyList{XdsResource}, DateTimeOffset, Snapshots.ResourceSet?)"/>).
    /// </summary>
    internal DeltaOutcome Sent(string typeUrl, IReadOnlyList<XdsResource> resources, Snapshots.ResourceSet? from = null) =>
        Sent(Holdings(typeUrl), resources, from);

    /// <summary>Delta: a name the client subscribed to was reported as not existing.</summary>
    public void DoesNotExist(string typeUrl, string name) => DoesNotExist(Holdings(typeUrl), name);

    /// <summary>Delta: a resource removed from the client.</summary>
    public void Removed(string typeUrl, string name) => Holdings(typeUrl).Removed(name);

    /// <summary>Delta: the client ACKed the response that carried <paramref name="resources"/> (sent as <paramref name="sent"/>).</summary>
    internal void Acked(string typeUrl, IReadOnlyList<XdsResource> resources, DeltaOutcome sent) => Acked(Holdings(typeUrl), resources, sent);

    /// <summary>Delta: the client NACKed the response that carried <paramref name="resources"/> (sent as <paramref name="sent"/>).</summary>
    internal void Nacked(string typeUrl, IReadOnlyList<XdsResource> resources, DeltaOutcome sent, string error) => Nacked(Holdings(typeUrl), resources, sent, error);

    /// <summary>
    /// Delta: what the client holds of a type, the session's protocol state and this status's view in one
    /// (<see cref="DeltaHoldings"/>); created on first use. A stream has at most a handful of types, so a list is scanned.
    /// </summary>
    internal DeltaHoldings Holdings(string typeUrl)
    {
        lock (_lock)
        {
            foreach (var type in _delta ?? [])
            {
                if (ReferenceEquals(type.TypeUrl, typeUrl) || type.TypeUrl == typeUrl)
                {
                    return type;
                }
            }

            var added = new DeltaHoldings(typeUrl, _lock);
            (_delta ??= new(4)).Add(added);
            return added;
        }
    }

    /// <summary>Every resource the client was sent, with what it said of it; built on each call.</summary>
    public IReadOnlyDictionary<(string Type, string Name), ResourceStatus> Resources
    {
        get
        {
            lock (_lock)
            {
                var all = new Dictionary<(string, string), ResourceStatus>();
                foreach (var type in _delta ?? [])
                {
                    type.AddTo(all);
                }

                foreach (var set in _sets)
                {
                    set.AddTo(all);
                }

                return all;
            }
        }
    }

    /// <summary>
    /// Each type whose latest response carried no resource at all (a gateway with no routes gets an empty CDS and
    /// LDS), with what the client said of that response: the per-resource view above has nothing for such a type, and
    /// proxy status would otherwise show it as never sent.
    /// </summary>
    public IReadOnlyDictionary<string, (ClientResourceStatus State, string? Error, DateTimeOffset At)> EmptyAnswers
    {
        get
        {
            lock (_lock)
            {
                var empty = new Dictionary<string, (ClientResourceStatus, string?, DateTimeOffset)>(StringComparer.Ordinal);
                foreach (var set in _sets)
                {
                    // Only a subscription that names nothing is answered in full by an empty response: one that named
                    // resources (a gRPC server's listener, a dialled name) still waits for them.
                    if (set.Resources.Count == 0 && set.Earlier is null && set.Wildcard)
                    {
                        empty[set.TypeUrl] = (set.State, set.Error, set.At);
                    }
                }

                foreach (var type in _delta ?? [])
                {
                    if (type.EmptyOutcome is { } o)
                    {
                        empty[type.TypeUrl] = (o.ClientStatus, o.Error, o.At);
                    }
                }

                return empty;
            }
        }
    }

    /// <summary>
    /// Each state-of-the-world type whose latest response the client NACKed, with that response's <c>version_info</c>,
    /// the client's error and when: a NACK refuses a whole response, which the per-resource view cannot name when
    /// some of its resources are ones the client already held (those stay ACKED there).
    /// </summary>
    public IReadOnlyDictionary<string, (string Version, string Error, DateTimeOffset At)> Refusals
    {
        get
        {
            lock (_lock)
            {
                var refusals = new Dictionary<string, (string, string, DateTimeOffset)>(StringComparer.Ordinal);
                foreach (var set in _sets)
                {
                    if (set.State == ClientResourceStatus.Nacked && set.RefusedVersion is { } version)
                    {
                        refusals[set.TypeUrl] = (version, set.Error ?? "", set.At);
                    }
                }

                return refusals;
            }
        }
    }

    /// <summary>
    /// The CSDS view of this stream. <paramref name="problem"/> is why the proxy's newest configuration was not
    /// sent (its virtual node does not exist yet or any more, or the translation was rejected); it is shown as
    /// NOT_SENT for each type the proxy asked for, beside what it does have.
    /// </summary>
    public ClientConfig ToClientConfig(string? problem)
    {
        var resources = Resources;
        Node? node;
        IReadOnlyList<string> requested;
        lock (_lock)
        {
            node = Node;
            requested = _requestedTypes.Order(StringComparer.Ordinal).ToList();
        }

        var config = new ClientConfig { Node = node ?? new Node() };
        foreach (var ((type, name), status) in resources.OrderBy(r => r.Key.Type, StringComparer.Ordinal).ThenBy(r => r.Key.Name, StringComparer.Ordinal))
        {
            var generic = new ClientConfig.Types.GenericXdsConfig
            {
                TypeUrl = type,
                Name = name,
                VersionInfo = status.Version,
                ConfigStatus = status.ConfigStatus,
                ClientStatus = status.ClientStatus,
                LastUpdated = Timestamp.FromDateTimeOffset(status.LastUpdated),
            };
            if (status.Error is { } error)
            {
                // As CSDS has it: version_info and last_updated are what the client runs, the error state what it refused.
                generic.ErrorState = new UpdateFailureState
                {
                    Details = error,
                    VersionInfo = status.RejectedVersion ?? status.Version,
                    LastUpdateAttempt = Timestamp.FromDateTimeOffset(status.RejectedAt ?? status.LastUpdated),
                };
            }

            config.GenericXdsConfigs.Add(generic);
        }

        if (problem is not null)
        {
            foreach (var type in requested)
            {
                config.GenericXdsConfigs.Add(new ClientConfig.Types.GenericXdsConfig
                {
                    TypeUrl = type,
                    ConfigStatus = ConfigStatus.NotSent,
                    ClientStatus = ClientResourceStatus.Requested,
                    ErrorState = new UpdateFailureState { Details = problem },
                });
            }
        }

        return config;
    }

    private void SetState(string typeUrl, IReadOnlyList<XdsResource> resources, ClientResourceStatus state, string? error, bool keepLeftOut, bool? wildcard = null, string? refusedVersion = null)
    {
        var at = clock.GetUtcNow();
        lock (_lock)
        {
            SotwTypeStatus? set = null;
            foreach (var candidate in _sets)
            {
                if (ReferenceEquals(candidate.TypeUrl, typeUrl) || candidate.TypeUrl == typeUrl)
                {
                    set = candidate;
                    break;
                }
            }

            if (set is null)
            {
                _sets.Add(set = new SotwTypeStatus(typeUrl));
            }

            set.Record(resources, state, error, at, keepLeftOut, refusedVersion);
            if (wildcard is { } w)
            {
                set.Wildcard = w;
            }
        }
    }

    /// <summary>
    /// One type of a state-of-the-world stream: the resources of its latest response and what the client said
    /// of them, all at once. <see cref="Earlier"/> holds resources of earlier responses that this one left out and
    /// that the client still has (RDS, EDS); it is null unless a name was left out, which is rare. One object per
    /// type for the life of the stream, updated in place under the status's lock: a record per send and per ACK
    /// lived until the next change, so every stream promoted a new one into gen2 at every change.
    /// <see cref="Acked"/> is the latest response the client ACKed (the same list as <see cref="Resources"/> once it
    /// does, so it costs a reference): what a NACK leaves the client running.
    /// </summary>
    private sealed class SotwTypeStatus(string typeUrl)
    {
        public string TypeUrl { get; } = typeUrl;

        public IReadOnlyList<XdsResource> Resources { get; private set; } = [];

        public ClientResourceStatus State { get; private set; }

        /// <summary>Whether the subscription named nothing when the latest response was sent.</summary>
        public bool Wildcard { get; set; } = true;

        public string? Error { get; private set; }

        public DateTimeOffset At { get; private set; }

        public IReadOnlyDictionary<string, ResourceStatus>? Earlier { get; private set; }

        /// <summary>The resources of the latest response the client ACKed, and when it did.</summary>
        public IReadOnlyList<XdsResource> Acked { get; private set; } = [];

        public DateTimeOffset AckedAt { get; private set; }

        /// <summary>The <c>version_info</c> of the latest response while the client's answer to it is a NACK.</summary>
        public string? RefusedVersion { get; private set; }

        /// <summary>The type's latest response (or what the client said of it); with <paramref name="keepLeftOut"/>, what it leaves out of the earlier ones is kept.</summary>
        public void Record(IReadOnlyList<XdsResource> resources, ClientResourceStatus state, string? error, DateTimeOffset at, bool keepLeftOut, string? refusedVersion)
        {
            Earlier = keepLeftOut ? LeftOutOf(resources) : null;
            Resources = resources;
            State = state;
            Error = error;
            At = at;
            RefusedVersion = state == ClientResourceStatus.Nacked ? refusedVersion : null;
            if (state == ClientResourceStatus.Acked)
            {
                Acked = resources;
                AckedAt = at;
            }
        }

        /// <summary>Drops what earlier responses left out for names not in <paramref name="requested"/> (sorted).</summary>
        public void KeepOnly(string[] requested)
        {
            if (Earlier is null)
            {
                return;
            }

            var kept = Earlier.Where(e => Array.BinarySearch(requested, e.Key, StringComparer.Ordinal) >= 0).ToDictionary(StringComparer.Ordinal);
            Earlier = kept.Count == 0 ? null : kept;
        }

        /// <summary>
        /// What the client says of <paramref name="resource"/> of the latest response. After a NACK it keeps what it
        /// last ACKed: a resource it held at this very version is still ACKed, any other is NACKED over the version it
        /// holds, if any. <paramref name="acked"/> indexes <see cref="Acked"/> by name, made on first need.
        /// </summary>
        private ResourceStatus StatusOf(XdsResource resource, ref Dictionary<string, XdsResource>? acked)
        {
            if (State != ClientResourceStatus.Nacked)
            {
                return new(resource.Version, State == ClientResourceStatus.Acked ? ConfigStatus.Synced : ConfigStatus.Stale, State, Error, At);
            }

            acked ??= Acked.ToDictionary(r => r.Name, StringComparer.Ordinal);
            if (acked.GetValueOrDefault(resource.Name) is not { } held)
            {
                return new("", ConfigStatus.Error, ClientResourceStatus.Nacked, Error, At, resource.Version, At);
            }

            return held.Version == resource.Version
                ? new(held.Version, ConfigStatus.Synced, ClientResourceStatus.Acked, null, AckedAt)
                : new(held.Version, ConfigStatus.Error, ClientResourceStatus.Nacked, Error, AckedAt, resource.Version, At);
        }

        public void AddTo(Dictionary<(string, string), ResourceStatus> all)
        {
            if (Earlier is not null)
            {
                foreach (var (name, status) in Earlier)
                {
                    all[(TypeUrl, name)] = status;
                }
            }

            Dictionary<string, XdsResource>? acked = null;
            foreach (var r in Resources)
            {
                all[(TypeUrl, r.Name)] = StatusOf(r, ref acked);
            }

            if (State == ClientResourceStatus.Nacked && Wildcard && TypeUrls.IsFullState(TypeUrl))
            {
                // A wildcard LDS or CDS response removes what it leaves out; refused, it removed nothing, and the
                // client still runs what it ACKed of those names.
                var inLatest = new NameLookup(Resources);
                foreach (var r in Acked)
                {
                    if (!inLatest.Contains(r.Name))
                    {
                        all[(TypeUrl, r.Name)] = new(r.Version, ConfigStatus.Error, ClientResourceStatus.Nacked, Error, AckedAt, "", At);
                    }
                }
            }
        }

        /// <summary>What of this set (and the ones before it) <paramref name="next"/> leaves out; null when nothing.</summary>
        public IReadOnlyDictionary<string, ResourceStatus>? LeftOutOf(IReadOnlyList<XdsResource> next)
        {
            if (ReferenceEquals(next, Resources) && Earlier is null)
            {
                return null;
            }

            Dictionary<string, ResourceStatus>? leftOut = null;
            Dictionary<string, XdsResource>? acked = null;
            var inNext = new NameLookup(next);
            if (Earlier is not null)
            {
                foreach (var (name, status) in Earlier)
                {
                    if (!inNext.Contains(name))
                    {
                        (leftOut ??= new(StringComparer.Ordinal))[name] = status;
                    }
                }
            }

            if (!ReferenceEquals(next, Resources))
            {
                foreach (var r in Resources)
                {
                    if (!inNext.Contains(r.Name))
                    {
                        (leftOut ??= new(StringComparer.Ordinal))[r.Name] = StatusOf(r, ref acked);
                    }
                }
            }

            return leftOut;
        }

        /// <summary>Whether a name is in a list: a scan for a few names, a hash set (built on first use) for more.</summary>
        private struct NameLookup(IReadOnlyList<XdsResource> resources)
        {
            private HashSet<string>? _names;

            public bool Contains(string name)
            {
                if (resources.Count <= 8)
                {
                    foreach (var r in resources)
                    {
                        if (r.Name == name)
                        {
                            return true;
                        }
                    }

                    return false;
                }

                _names ??= resources.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
                return _names.Contains(name);
            }
        }
    }
}
