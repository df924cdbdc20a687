using Envoy.Admin.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Status.V3;
using Google.Protobuf;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Tests.Support;
using static Mesh.XdsServer.Tests.Support.ModelRun;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// State-of-the-world xDS checked against a model of Envoy's client, as <see cref="DeltaModelTests"/> checks delta: a
/// client that keeps what it is sent the way Envoy does (a cluster or listener response is the whole of that type; an
/// endpoint or route configuration response replaces the resources it carries; names it stops asking for are dropped),
/// ACKs every response with its version, nonce and the names it wants now, and changes those names while responses
/// are in flight (the server then sees the change with a stale nonce, and must take it from the next ACK). Through
/// random mesh changes, name changes and reconnects that present the last accepted version, after every step the
/// client must hold what the current snapshot gives it, byte for byte.
/// </summary>
public sealed class SotwModelTests : IAsyncLifetime
{
    private XdsTestHost _host = null!;

    public async Task InitializeAsync() => _host = await XdsTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public Task Through_Random_Changes_Names_And_Reconnects_The_Client_Holds_What_The_Snapshot_Says(int seed) =>
        ModelRun.RunAsync<ModelClient>(_host, seed, steps: 100, before => ModelClient.ConnectAsync(_host, before), Difference, CsdsShowsWhatTheClientHoldsAsync);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public Task Three_Streams_Of_One_Proxy_Each_Hold_What_The_Snapshot_Says_Whatever_The_Others_Ask_For(int seed) =>
        ModelRun.RunAsync<ModelClient>(_host, seed, steps: 100, before => ModelClient.ConnectAsync(_host, before), Difference, (_, _) => Task.CompletedTask, clients: 3);

    /// <summary>
    /// CSDS (and so proxy status) shows the stream's proxy as holding exactly what the client holds, each ACKed, at the
    /// snapshot's version where the snapshot still has it; after a reconnect that includes what the new stream did not
    /// re-send because the client said it had that version already. A route configuration or endpoints the client still
    /// asks for after the snapshot dropped them, it keeps (as Envoy does), and so must CSDS, at the version it had then,
    /// when this stream sent it.
    /// </summary>
    private Task CsdsShowsWhatTheClientHoldsAsync(ModelClient client, string after)
    {
        Mesh.XdsServer.Snapshots.Snapshot? snapshot = null;
        return CsdsShowsAsync(
            _host,
            () =>
            {
                snapshot = _host.Cache.Current(Web);
                var expected = new SortedSet<string>(StringComparer.Ordinal);
                foreach (var type in WildcardTypes.Concat(NamedTypes))
                {
                    var receivedHere = client.ReceivedOnThisStream(type);
                    foreach (var (name, bytes) in client.Held(type))
                    {
                        // What the snapshot no longer has is shown at the version it had (the test knows only that it is
                        // there), if this stream sent it: a state-of-the-world client names only the version of its last
                        // response on reconnecting, so what it kept from the stream before, the server cannot know.
                        var current = snapshot?[type].ByName.GetValueOrDefault(name);
                        if (current is not null && current.Packed.Value.Equals(bytes))
                        {
                            expected.Add($"{type} {name} {current.Version} {ClientResourceStatus.Acked}");
                        }
                        else if (receivedHere.Contains(name))
                        {
                            expected.Add($"{type} {name} (earlier) {ClientResourceStatus.Acked}");
                        }
                    }
                }

                return expected;
            },
            (g, expected) =>
            {
                var inSnapshot = snapshot?[g.TypeUrl].ByName.TryGetValue(g.Name, out var current) == true && current.Version == g.VersionInfo;
                var earlier = !inSnapshot && expected.Contains($"{g.TypeUrl} {g.Name} (earlier) {ClientResourceStatus.Acked}");

                // A resource the snapshot dropped while the response that carried it was not yet answered may show as
                // sent (REQUESTED): the client's ACK of that response came with a stale nonce, which the server does not
                // read, and the newer response it did ACK did not carry the resource.
                var status = earlier && g.ClientStatus == ClientResourceStatus.Requested ? ClientResourceStatus.Acked : g.ClientStatus;
                return $"{g.TypeUrl} {g.Name} {(earlier ? "(earlier)" : g.VersionInfo)} {status}";
            },
            after);
    }

    private string? Difference(ModelClient client)
    {
        if (_host.Cache.Current(Web) is not { } snapshot)
        {
            return "no snapshot";
        }

        var problems = new List<string>();
        foreach (var type in WildcardTypes.Concat(NamedTypes))
        {
            var wanted = client.Names(type);
            var expected = (wanted is null ? snapshot[type].Wildcard : snapshot[type].All.Where(r => wanted.Contains(r.Name)))
                .ToDictionary(r => r.Name, r => r.Packed.Value);
            var held = client.Held(type);
            foreach (var (name, bytes) in expected)
            {
                if (!held.TryGetValue(name, out var heldBytes))
                {
                    problems.Add($"{type}: {name} missing");
                }
                else if (!heldBytes.Equals(bytes))
                {
                    problems.Add($"{type}: {name} held with other content than the snapshot's");
                }
            }

            // A cluster or listener response is the whole type; of endpoints and route configurations, one the client
            // still asks for that is gone is simply no longer sent (Envoy keeps it until nothing refers to it).
            if (wanted is null)
            {
                problems.AddRange(held.Keys.Where(n => !expected.ContainsKey(n)).Select(n => $"{type}: {n} held but not in the snapshot"));
            }
        }

        return problems.Count == 0 ? null : string.Join("\n", problems);
    }

    /// <summary>
    /// One state-of-the-world stream and what the client holds on it, kept as Envoy keeps it. Every response is ACKed
    /// as soon as it is applied, naming what the client wants at that moment. The held resources, names and accepted
    /// versions outlive the stream, for a reconnect.
    /// </summary>
    private sealed class ModelClient : IModelClient
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, Dictionary<string, ByteString>> _held;
        private readonly Dictionary<string, SortedSet<string>> _names;
        private readonly Dictionary<string, string> _accepted;
        private readonly Dictionary<string, string> _lastNonce = [];
        private readonly Dictionary<string, HashSet<string>> _receivedHere = WildcardTypes.Concat(NamedTypes).ToDictionary(t => t, _ => new HashSet<string>(StringComparer.Ordinal));
        private readonly AdsClient _stream;
        private readonly ModelStream _plumbing = new();

        private ModelClient(AdsClient stream, ModelClient? before)
        {
            _stream = stream;
            _held = WildcardTypes.Concat(NamedTypes).ToDictionary(t => t, t => new Dictionary<string, ByteString>(before?._held[t] ?? []));
            _names = NamedTypes.ToDictionary(t => t, t => new SortedSet<string>(before?._names[t] ?? [], StringComparer.Ordinal));
            _accepted = new Dictionary<string, string>(before?._accepted ?? []);
        }

        public Exception? Failure => _plumbing.Failure;

        /// <summary>Opens a stream; after <paramref name="before"/>, as Envoy reconnects: the same names, with the versions it last accepted.</summary>
        public static async Task<ModelClient> ConnectAsync(XdsTestHost host, ModelClient? before)
        {
            var client = new ModelClient(AdsClient.Connect(host.Channel, MeshRows.NodeId("web")), before);
            foreach (var type in WildcardTypes.Concat(NamedTypes))
            {
                var names = client.Names(type);
                if (names is { Count: 0 })
                {
                    continue;
                }

                await client._stream.SendAsync(type, names, client._accepted.GetValueOrDefault(type, ""));
            }

            client._plumbing.Start(client._stream.NextAsync, client.HandleAsync);
            return client;
        }

        /// <summary>The names the client asks for; null for a wildcard type.</summary>
        public IReadOnlySet<string>? Names(string type)
        {
            lock (_lock)
            {
                return _names.TryGetValue(type, out var names) ? names.ToHashSet() : null;
            }
        }

        /// <summary>The names of <paramref name="type"/> this stream has been sent (not what the client kept from before).</summary>
        public IReadOnlySet<string> ReceivedOnThisStream(string type)
        {
            lock (_lock)
            {
                return _receivedHere[type].ToHashSet(StringComparer.Ordinal);
            }
        }

        public Dictionary<string, ByteString> Held(string type)
        {
            lock (_lock)
            {
                return new Dictionary<string, ByteString>(_held[type]);
            }
        }

        /// <summary>Asks for one more name (one that exists, or one that does not), or one fewer, as Envoy does when a listener or cluster changes.</summary>
        public async Task<string> ChangeNamesAsync(Random random, Dictionary<string, string[]> existing)
        {
            var type = NamedTypes[random.Next(NamedTypes.Length)];
            string change;
            string[] names;
            string version;
            string nonce;
            lock (_lock)
            {
                var wanted = _names[type];
                if (wanted.Count == 0 || random.Next(3) > 0)
                {
                    var candidates = existing[type].Append($"missing-{random.Next(3)}").Where(n => !wanted.Contains(n)).ToArray();
                    if (candidates.Length == 0)
                    {
                        return $"{type}: nothing left to ask for";
                    }

                    var name = candidates[random.Next(candidates.Length)];
                    wanted.Add(name);
                    change = $"asks for {name} too";
                }
                else
                {
                    var name = wanted.ElementAt(random.Next(wanted.Count));
                    wanted.Remove(name);
                    _held[type].Remove(name); // Envoy drops what it no longer asks for
                    change = $"no longer asks for {name}";
                }

                names = [.. wanted];
                version = _accepted.GetValueOrDefault(type, "");
                nonce = _lastNonce.GetValueOrDefault(type, "");
            }

            await _plumbing.WriteAsync(() => _stream.SendAsync(type, names, version, nonce));
            return $"{type}: {change}";
        }

        /// <summary>
        /// Applies a response and ACKs it with the names the client wants now, written in order with the name changes:
        /// a change the server ignored for its stale nonce reaches it this way.
        /// </summary>
        private Task HandleAsync(DiscoveryResponse response) =>
            _plumbing.WriteAsync(() =>
            {
                var names = Apply(response);
                return _stream.AckAsync(response, names);
            });

        /// <summary>Applies a response and returns the names to ACK it with (null: a wildcard type).</summary>
        private string[]? Apply(DiscoveryResponse response)
        {
            lock (_lock)
            {
                _lastNonce[response.TypeUrl] = response.Nonce;
                _accepted[response.TypeUrl] = response.VersionInfo;
                if (!_held.TryGetValue(response.TypeUrl, out var held))
                {
                    return null;
                }

                var wanted = _names.GetValueOrDefault(response.TypeUrl);
                if (wanted is null)
                {
                    held.Clear(); // the whole type
                }

                foreach (var resource in response.Resources)
                {
                    var name = Name(response.TypeUrl, resource);
                    if (wanted is null || wanted.Contains(name))
                    {
                        held[name] = resource.Value;
                        _receivedHere[response.TypeUrl].Add(name);
                    }
                }

                return wanted is null ? null : [.. wanted];
            }
        }

        private static string Name(string typeUrl, Google.Protobuf.WellKnownTypes.Any resource) => typeUrl switch
        {
            TypeUrls.Cluster => resource.Unpack<Envoy.Config.Cluster.V3.Cluster>().Name,
            TypeUrls.Listener => resource.Unpack<Envoy.Config.Listener.V3.Listener>().Name,
            TypeUrls.Endpoint => resource.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>().ClusterName,
            TypeUrls.Route => resource.Unpack<Envoy.Config.Route.V3.RouteConfiguration>().Name,
            _ => throw new ArgumentOutOfRangeException(nameof(typeUrl), typeUrl),
        };


        public ValueTask DisposeAsync() => _plumbing.StopAsync(_stream.DisposeAsync);
    }
}
