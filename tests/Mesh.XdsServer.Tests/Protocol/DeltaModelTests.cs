using Envoy.Admin.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Status.V3;
using Mesh.XdsServer.Tests.Support;
using static Mesh.XdsServer.Tests.Support.ModelRun;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// Incremental xDS checked against a model of the client, as go-control-plane checks its delta server: a client that
/// keeps what it is sent the way Envoy does (a resource replaces the one of its name, a removed name is dropped, a
/// resource of a name it has unsubscribed from is ignored, a name it unsubscribes from is dropped at once), through
/// random mesh changes, subscription changes and reconnects that present the held versions. After every step the
/// client must hold exactly what the server's current snapshot says it should: every wildcard resource of clusters and
/// listeners, and of endpoints and route configurations the subscribed names that exist, each at the snapshot's
/// version; and of each subscribed name that does not exist, it must have been told so. A resource the client never
/// gets, one it keeps after it is gone, a stale version, or a name it would wait for forever fails the step.
/// </summary>
public sealed class DeltaModelTests : IAsyncLifetime
{
    private XdsTestHost _host = null!;

    public async Task InitializeAsync() => _host = await XdsTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public Task Through_Random_Changes_Subscriptions_And_Reconnects_The_Client_Holds_What_The_Snapshot_Says(int seed) =>
        ModelRun.RunAsync<ModelClient>(_host, seed, steps: 100, before => ModelClient.ConnectAsync(_host, before), Difference, CsdsShowsWhatTheClientHoldsAsync);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public Task Three_Streams_Of_One_Proxy_Each_Hold_What_The_Snapshot_Says_Whatever_The_Others_Ask_For(int seed) =>
        ModelRun.RunAsync<ModelClient>(_host, seed, steps: 100, before => ModelClient.ConnectAsync(_host, before), Difference, CsdsShowsWhatTheClientHoldsAsync, clients: 3);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public Task A_Client_That_Rejects_Some_Responses_Keeps_What_It_Had_And_Gets_Every_Newer_Version(int seed) =>
        ModelRun.RunAsync<ModelClient>(_host, seed, steps: 100, before => ModelClient.ConnectAsync(_host, before, nackChance: 0.15), Difference, (_, _) => Task.CompletedTask);

    /// <summary>
    /// CSDS (and so proxy status) shows the stream's proxy as holding exactly what the client holds, each ACKed at its
    /// version, and each subscribed name it was told does not exist as such; after a reconnect that includes what the
    /// client said it had (<c>initial_resource_versions</c>), not only what the new stream sent.
    /// </summary>
    private Task CsdsShowsWhatTheClientHoldsAsync(ModelClient client, string after) => CsdsShowsAsync(
        _host,
        () =>
        {
            var expected = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var type in WildcardTypes.Concat(NamedTypes))
            {
                expected.UnionWith(client.Held(type).Select(h => $"{type} {h.Key} {h.Value} {ClientResourceStatus.Acked}"));
                if (NamedTypes.Contains(type))
                {
                    expected.UnionWith(client.ToldMissing(type).Select(n => $"{type} {n}  {ClientResourceStatus.DoesNotExist}"));
                }
            }

            return expected;
        },
        (g, _) => $"{g.TypeUrl} {g.Name} {g.VersionInfo} {g.ClientStatus}",
        after);

    private string? Difference(ModelClient client)
    {
        var snapshot = _host.Cache.Current(Web);
        if (snapshot is null)
        {
            return "no snapshot";
        }

        var problems = new List<string>();
        foreach (var type in WildcardTypes.Concat(NamedTypes))
        {
            var expected = (WildcardTypes.Contains(type)
                    ? snapshot[type].Wildcard
                    : snapshot[type].All.Where(r => client.Subscribed(type).Contains(r.Name)))
                .ToDictionary(r => r.Name, r => r.Version);
            var held = client.Held(type);
            foreach (var (name, version) in expected)
            {
                if (client.Rejected(type, name, version))
                {
                    continue; // the client rejected this very version: it keeps what it had, and is not sent it again
                }

                if (!held.TryGetValue(name, out var heldVersion))
                {
                    problems.Add($"{type}: {name} missing");
                }
                else if (heldVersion != version)
                {
                    problems.Add($"{type}: {name} held at {heldVersion}, snapshot has {version}");
                }
            }

            problems.AddRange(held.Keys
                .Where(n => !expected.ContainsKey(n) && !client.Rejected(type, n, "removed"))
                .Select(n => $"{type}: {n} held but not in the snapshot's answer"));
            if (NamedTypes.Contains(type))
            {
                // Envoy waits for a name it asked for until it is sent or said not to exist (xDS: "Knowing when a
                // requested resource does not exist").
                var told = client.ToldMissing(type);
                problems.AddRange(client.Subscribed(type)
                    .Where(n => !snapshot[type].ByName.ContainsKey(n) && !told.Contains(n) && !client.Rejected(type, n, "removed"))
                    .Order(StringComparer.Ordinal)
                    .Select(n => $"{type}: {n} does not exist, and the client was not told"));
            }
        }

        return problems.Count == 0 ? null : string.Join("\n", problems);
    }

    /// <summary>
    /// One delta stream and what the client holds on it, kept as Envoy keeps it; every response is ACKed as soon as it
    /// is applied. The held versions and subscriptions outlive the stream, for a reconnect.
    /// </summary>
    private sealed class ModelClient : IModelClient
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, Dictionary<string, string>> _held;
        private readonly Dictionary<string, HashSet<string>> _subscribed;

        // The subscribed names the server said do not exist (in removed_resources) since the client last asked for
        // them; a new stream starts with none, as Envoy asks again for every name it wants on reconnecting.
        private readonly Dictionary<string, HashSet<string>> _toldMissing;
        private readonly DeltaAdsClient _stream;
        private readonly ModelStream _plumbing = new();

        // How often a response is rejected (NACKed) instead of applied, and what was rejected: a resource's name and
        // version, or a name with "removed". Envoy keeps what it had; the server sends such a version no more.
        private readonly double _nackChance;
        private readonly Random _nacks;
        private readonly Dictionary<string, HashSet<string>> _rejected;

        private ModelClient(DeltaAdsClient stream, ModelClient? before, double nackChance)
        {
            _stream = stream;
            _nackChance = nackChance;
            _nacks = new Random(before?._nacks.Next() ?? 7);
            _rejected = WildcardTypes.Concat(NamedTypes).ToDictionary(t => t, t => new HashSet<string>(before?._rejected[t] ?? []));
            _held = WildcardTypes.Concat(NamedTypes).ToDictionary(t => t, t => new Dictionary<string, string>(before?._held[t] ?? []));
            _subscribed = NamedTypes.ToDictionary(t => t, t => new HashSet<string>(before?._subscribed[t] ?? []));
            _toldMissing = NamedTypes.ToDictionary(t => t, _ => new HashSet<string>());
        }

        public Exception? Failure => _plumbing.Failure;

        /// <summary>
        /// Opens a stream; with <paramref name="held"/>, as Envoy reconnects: its subscriptions again, and the versions it
        /// holds. <paramref name="nackChance"/>: how often it rejects a response.
        /// </summary>
        public static async Task<ModelClient> ConnectAsync(XdsTestHost host, ModelClient? held, double nackChance = 0)
        {
            var client = new ModelClient(DeltaAdsClient.Connect(host.Channel, MeshRows.NodeId("web")), held, nackChance);
            foreach (var type in WildcardTypes.Concat(NamedTypes))
            {
                var subscribe = NamedTypes.Contains(type) ? client._subscribed[type].Order(StringComparer.Ordinal).ToArray() : [];
                if (NamedTypes.Contains(type) && subscribe.Length == 0)
                {
                    continue;
                }

                await client._stream.SendAsync(type, subscribe: subscribe, initialVersions: client._held[type]);
            }

            client._plumbing.Start(client._stream.NextAsync, client.HandleAsync);
            return client;
        }

        public IReadOnlySet<string> Subscribed(string type)
        {
            lock (_lock)
            {
                return _subscribed[type].ToHashSet();
            }
        }

        public IReadOnlySet<string> ToldMissing(string type)
        {
            lock (_lock)
            {
                return _toldMissing[type].ToHashSet();
            }
        }

        public Dictionary<string, string> Held(string type)
        {
            lock (_lock)
            {
                return new Dictionary<string, string>(_held[type]);
            }
        }

        /// <summary>Subscribes to a name (one that exists, or one that does not) or unsubscribes from one it holds.</summary>
        public async Task<string> ChangeNamesAsync(Random random, Dictionary<string, string[]> existing)
        {
            var type = NamedTypes[random.Next(NamedTypes.Length)];
            string name;
            bool subscribe;
            lock (_lock)
            {
                var subscribed = _subscribed[type];
                subscribe = subscribed.Count == 0 || random.Next(3) > 0;
                if (subscribe)
                {
                    var candidates = existing[type].Append($"missing-{random.Next(3)}").Where(n => !subscribed.Contains(n)).ToArray();
                    if (candidates.Length == 0)
                    {
                        return $"{type}: nothing left to subscribe to";
                    }

                    name = candidates[random.Next(candidates.Length)];
                    subscribed.Add(name);
                    _toldMissing[type].Remove(name);
                }
                else
                {
                    name = subscribed.Order(StringComparer.Ordinal).ElementAt(random.Next(subscribed.Count));
                    subscribed.Remove(name);
                    _toldMissing[type].Remove(name);

                    // Envoy drops an unsubscribed resource at once; the server sends no removal for it.
                    _held[type].Remove(name);
                }
            }

            await _plumbing.WriteAsync(() => _stream.SendAsync(type, subscribe: subscribe ? [name] : null, unsubscribe: subscribe ? null : [name]));
            return $"{type}: {(subscribe ? "subscribed to" : "unsubscribed from")} {name}";
        }

        /// <summary>Applies a response and ACKs it, or now and then rejects it (NACK) and keeps what it had.</summary>
        private async Task HandleAsync(DeltaDiscoveryResponse response)
        {
            if (_nackChance > 0 && _nacks.NextDouble() < _nackChance)
            {
                Reject(response);
                await _plumbing.WriteAsync(() => _stream.NackAsync(response, "rejected by the model client"));
                return;
            }

            Apply(response);
            await _plumbing.WriteAsync(() => _stream.AckAsync(response));
        }

        /// <summary>Whether the client rejected this version of the name, or its removal ("removed").</summary>
        public bool Rejected(string type, string name, string version)
        {
            lock (_lock)
            {
                return _rejected[type].Contains($"{name}@{version}");
            }
        }

        private void Reject(DeltaDiscoveryResponse response)
        {
            lock (_lock)
            {
                if (_rejected.GetValueOrDefault(response.TypeUrl) is not { } rejected)
                {
                    return;
                }

                rejected.UnionWith(response.Resources.Select(r => $"{r.Name}@{r.Version}"));
                rejected.UnionWith(response.RemovedResources.Select(n => $"{n}@removed"));
            }
        }

        private void Apply(DeltaDiscoveryResponse response)
        {
            lock (_lock)
            {
                if (_held.GetValueOrDefault(response.TypeUrl) is not { } held)
                {
                    return;
                }

                var named = _subscribed.GetValueOrDefault(response.TypeUrl);
                foreach (var resource in response.Resources)
                {
                    // Envoy ignores a resource of a name it is not (or no longer) subscribed to.
                    if (named is null || named.Contains(resource.Name))
                    {
                        held[resource.Name] = resource.Version;
                        _toldMissing.GetValueOrDefault(response.TypeUrl)?.Remove(resource.Name);
                        _rejected[response.TypeUrl].Remove($"{resource.Name}@removed");
                    }
                }

                foreach (var removed in response.RemovedResources)
                {
                    held.Remove(removed);
                    if (named?.Contains(removed) == true)
                    {
                        _toldMissing[response.TypeUrl].Add(removed);
                    }
                }
            }
        }

        public ValueTask DisposeAsync() => _plumbing.StopAsync(_stream.DisposeAsync);
    }
}
