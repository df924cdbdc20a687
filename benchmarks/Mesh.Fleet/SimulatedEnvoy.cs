using System.Diagnostics;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.Fleet;

/// <summary>How the fleet talks: SotW or delta ADS, and whether the node goes on every request or only the first.</summary>
internal sealed record FleetVariant(string Name, bool Delta, bool NodeOnEveryRequest)
{
    /// <summary>The generated client, which serialises the node for every request, instead of <see cref="NodeBytes"/>.</summary>
    public bool SerialiseNodeEveryRequest { get; init; }
}

/// <summary>
/// One simulated Envoy on its own HTTP/2 connection, subscribing and ACKing as Envoy does with ADS: CDS first,
/// then EDS for the EDS clusters, then LDS, then RDS for the route configurations the listeners name; every
/// response is ACKed with its version and nonce. It reconnects on a broken stream after Envoy's backoff (<see cref="EnvoyBackoff"/>),
/// to the next address when it has several, with what it holds (version_info, initial_resource_versions).
/// </summary>
internal sealed class SimulatedEnvoy : IDisposable
{
    private readonly Node _node;
    private readonly FleetVariant _variant;
    private readonly Uri[] _servers;
    private readonly GrpcChannel?[] _channels;
    private readonly Dictionary<string, string> _sotwVersions = [];
    private readonly Dictionary<string, Dictionary<string, string>> _deltaVersions = [];
    private HashSet<string> _edsNames = [];
    private HashSet<string> _rdsNames = [];
    private readonly EnvoyBackoff _backoff = new(new Random());
    private int _server;
    private bool _nodeSent;

    public SimulatedEnvoy(Node node, FleetVariant variant, Uri[] servers)
    {
        _node = node;
        _variant = variant;
        _servers = servers;
        _channels = new GrpcChannel?[servers.Length];
    }

    /// <summary>
    /// Where this proxy's requests are kept as the bytes sent (one proxy per variant is given one): what the raw
    /// limit's clients then send to the plain server, to measure the stack's own cost of receiving them.
    /// </summary>
    public RequestRecorder? Recorder { get; init; }

    /// <summary>How this proxy fails its server once <see cref="BecomeStuck"/> is called (<c>--stuck</c>); None: never.</summary>
    public StuckAs StuckAs { get; init; }

    private readonly TaskCompletionSource _stuck = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string NodeId => _node.Id;

    /// <summary>What the proxy read and ACKed per type, and its streams: printed for a proxy a change never reached.</summary>
    public ProxyTrace Trace { get; } = new();

    /// <summary>For tests: the call invoker of a stream to server <c>i</c>, instead of an HTTP/2 channel to its address.</summary>
    internal Func<int, CallInvoker>? Invoker { get; init; }

    /// <summary>From now on the proxy never answers, or stops reading its socket, as <see cref="StuckAs"/> says.</summary>
    public void BecomeStuck() => _stuck.TrySetResult();

    private bool Silent => StuckAs == StuckAs.NeverAnswer && _stuck.Task.IsCompleted;

    /// <summary>Requests written on every stream so far (the connect's, then the ACKs).</summary>
    public int RequestsSent => Volatile.Read(ref _requestsSent);

    private int _requestsSent;

    /// <summary>Set once CDS, EDS (when there are EDS clusters), LDS and RDS have all been received and ACKed.</summary>
    public long ConfiguredAt { get; private set; }

    public TaskCompletionSource Configured { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long BytesReceived => Volatile.Read(ref _bytes);

    private long _bytes;

    public int Responses => Volatile.Read(ref _responses);

    private int _responses;

    public int RdsResponses => Volatile.Read(ref _rdsResponses);

    private int _rdsResponses;

    /// <summary>When the last RDS response had been received and its ACK written, or its stream ended first (the route change's latency).</summary>
    public long LastRdsAt => Volatile.Read(ref _lastRdsAt);

    private long _lastRdsAt;

    /// <summary>
    /// When the last RDS response was read, before its ACK was written: with the node on every request the ACK is
    /// 49 KB, and writing it waits for the fleet's CPU and the connection's flow control, which this leaves out.
    /// </summary>
    public long LastRdsReceivedAt => Volatile.Read(ref _lastRdsReceivedAt);

    private long _lastRdsReceivedAt;

    public int LastRdsSize { get; private set; }

    public int Reconnects => Volatile.Read(ref _reconnects);

    private int _reconnects;

    public int Errors => Volatile.Read(ref _errors);

    private int _errors;

    /// <summary>Which server address the current stream is on.</summary>
    public int ServerIndex => Volatile.Read(ref _server);

    public string? LastError { get; private set; }

    /// <summary>
    /// Every error with when its stream was opened and when it failed (Stopwatch timestamps) and the server it was
    /// opened to, so a run can place each one against a server's stop or start.
    /// </summary>
    public IReadOnlyList<FleetError> ErrorLog
    {
        get
        {
            lock (_errorLog)
            {
                return [.. _errorLog];
            }
        }
    }

    private readonly List<FleetError> _errorLog = [];

    /// <summary>Streams that ended with UNAVAILABLE, CANCELLED or INTERNAL other than the stopping server's status or a refused connection.</summary>
    public IReadOnlyList<FleetError> OtherEnds
    {
        get
        {
            lock (_errorLog)
            {
                return [.. _otherEnds];
            }
        }
    }

    private readonly List<FleetError> _otherEnds = [];

    /// <summary>Connections refused: no server listening at the address (a stopped server, or one not yet started).</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _refused;

    /// <summary>
    /// Streams whose connection was reset before the server answered anything on them: taken by the kernel into a
    /// listening port's backlog but never accepted, then reset when the port closed (a stopping xDS server holds its port
    /// until it exits, Xds:HoldPortWhileStopping). The client sees it while reading the server's HTTP/2 preface or while
    /// writing its request, whichever it was doing. Envoy reports "upstream connect error or disconnect/reset before
    /// headers" and retries after its backoff, as after a refusal: a connect that failed, not an error. A connection
    /// the server closed (FIN) before its preface counts here too: Envoy's report and retry are the same.
    /// </summary>
    public int ResetBeforeResponse => Volatile.Read(ref _resetBeforeResponse);

    private int _resetBeforeResponse;

    /// <summary>Streams the server ended with its UNAVAILABLE "shutting down" status: one per stop, more if it reconnected to a stopping server.</summary>
    public int EndedByStoppingServer => Volatile.Read(ref _endedByStoppingServer);

    private int _endedByStoppingServer;

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var opened = Stopwatch.GetTimestamp();
            var responsesAtOpen = Responses;
            try
            {
                var invoker = Invoker?.Invoke(_server) ?? (_channels[_server] ??= GrpcChannel.ForAddress(_servers[_server], new GrpcChannelOptions
                {
                    // One connection of its own, as each Envoy has.
                    HttpHandler = new SocketsHttpHandler
                    {
                        EnableMultipleHttp2Connections = false,
                        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                        ConnectCallback = StuckAs == StuckAs.StopReading ? (context, cancel) => StoppableReads.ConnectAsync(context, _stuck.Task, cancel) : null,
                    },
                    MaxReceiveMessageSize = null,
                })).CreateCallInvoker();
                _nodeSent = false;
                Trace.StreamOpened();
                if (_variant.Delta)
                {
                    await RunDeltaAsync(invoker, stop);
                }
                else
                {
                    await RunSotwAsync(invoker, stop);
                }

                Trace.StreamEnded("the server ended the stream with OK");
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Trace.StreamEnded(Describe(e));
                // A stream that ends because the server went away is what a storm or failover is; anything
                // else is an error the run reports.
                if (e is RpcException { StatusCode: StatusCode.Unavailable } u && u.Status.Detail.Contains("shutting down", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _endedByStoppingServer);
                }
                else if (e is RpcException { StatusCode: StatusCode.Unavailable } refused && IsRefused(refused))
                {
                    Interlocked.Increment(ref _refused);
                }
                else if (Responses == responsesAtOpen && IsConnectionReset(e))
                {
                    Interlocked.Increment(ref _resetBeforeResponse);
                }
                else if (e is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.Internal })
                {
                    // What a proxy treats as the server going away, not an error; logged, as a stream that ended
                    // without the stopping server's own status means it did not end as a stop should.
                    lock (_errorLog)
                    {
                        _otherEnds.Add(new FleetError(opened, Stopwatch.GetTimestamp(), _servers[_server], Describe(e)));
                    }
                }
                else
                {
                    Interlocked.Increment(ref _errors);
                    LastError = Describe(e);
                    lock (_errorLog)
                    {
                        _errorLog.Add(new FleetError(opened, Stopwatch.GetTimestamp(), _servers[_server], LastError));
                    }
                }
            }

            Interlocked.Increment(ref _reconnects);
            _server = (_server + 1) % _servers.Length;
            try
            {
                await Task.Delay(_backoff.Next(), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The exception and its inner ones, type and message each: the outer one alone says "aborted", not by what.</summary>
    internal static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var current = e; current is not null && parts.Count < 4; current = current.InnerException)
        {
            parts.Add($"{current.GetType().Name}: {current.Message}");
        }

        return string.Join(" ← ", parts);
    }

    /// <summary>
    /// Whether the peer reset or closed the connection (the cause, at any depth: the gRPC status's, HTTP/2's, the
    /// socket's). A connection taken from the held port's backlog in the last instant of a stop ends with FIN, not
    /// RST: the client then reads the end of the stream where the server's HTTP/2 preface should be
    /// ("ResponseEnded"), or its write of the request finds the pipe broken (EPIPE, which .NET names Shutdown).
    /// Only asked about a stream with no answer yet.
    /// </summary>
    internal static bool IsConnectionReset(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException ?? (inner as RpcException)?.Status.DebugException)
        {
            if (inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.Shutdown }
                or HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded })
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsRefused(RpcException e)
    {
        for (Exception? inner = e.InnerException ?? e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    private Node? NodeForRequest()
    {
        if (_variant.NodeOnEveryRequest || !_nodeSent)
        {
            _nodeSent = true;
            return _node;
        }

        return null;
    }

    private async Task RunSotwAsync(CallInvoker invoker, CancellationToken stop)
    {
        var method = _variant.SerialiseNodeEveryRequest ? NodeBytes.SotwGenerated : NodeBytes.Sotw;
        using var call = invoker.AsyncDuplexStreamingCall(method, null, new CallOptions(cancellationToken: stop));
        var writer = call.RequestStream;
        var requestedLds = false;
        async Task RequestAsync(string type, IEnumerable<string> names, string? nonce = null, string? version = null)
        {
            if (Silent)
            {
                return;
            }

            var request = new DiscoveryRequest
            {
                Node = NodeForRequest(),
                TypeUrl = type,
                VersionInfo = version ?? _sotwVersions.GetValueOrDefault(type, ""),
                ResponseNonce = nonce ?? "",
            };
            request.ResourceNames.AddRange(names.Order(StringComparer.Ordinal));
            Sent(request);
            await writer.WriteAsync(request, stop);
            if (nonce is not null)
            {
                Trace.Acked(type, request.VersionInfo, nonce);
            }
        }

        await RequestAsync(TypeUrls.Cluster, []);
        if (_sotwVersions.ContainsKey(TypeUrls.Listener))
        {
            // Reconnecting: Envoy asks again for everything it holds, with the versions it has.
            if (_edsNames.Count > 0)
            {
                await RequestAsync(TypeUrls.Endpoint, _edsNames);
            }

            await RequestAsync(TypeUrls.Listener, []);
            requestedLds = true;
            if (_rdsNames.Count > 0)
            {
                await RequestAsync(TypeUrls.Route, _rdsNames);
            }
        }

        await foreach (var response in call.ResponseStream.ReadAllAsync(stop))
        {
            Received(response.TypeUrl, response.CalculateSize());
            Trace.Received(response.TypeUrl, response.VersionInfo, response.Nonce);
            _sotwVersions[response.TypeUrl] = response.VersionInfo;
            switch (response.TypeUrl)
            {
                case TypeUrls.Cluster:
                    var eds = response.Resources.Select(ConfigNames.EdsServiceName).OfType<string>().ToHashSet(StringComparer.Ordinal);
                    var edsChanged = !eds.SetEquals(_edsNames);
                    _edsNames = eds;
                    if (edsChanged && eds.Count > 0)
                    {
                        await RequestAsync(TypeUrls.Endpoint, eds);
                    }

                    await RequestAsync(TypeUrls.Cluster, [], response.Nonce, response.VersionInfo);
                    if (!requestedLds && eds.Count == 0)
                    {
                        requestedLds = true;
                        await RequestAsync(TypeUrls.Listener, []);
                    }

                    break;
                case TypeUrls.Endpoint:
                    await RequestAsync(TypeUrls.Endpoint, _edsNames, response.Nonce, response.VersionInfo);
                    if (!requestedLds)
                    {
                        requestedLds = true;
                        await RequestAsync(TypeUrls.Listener, []);
                    }

                    break;
                case TypeUrls.Listener:
                    var routes = RouteNames(response.Resources);
                    var routesChanged = !routes.SetEquals(_rdsNames);
                    _rdsNames = routes;
                    if (routesChanged)
                    {
                        await RequestAsync(TypeUrls.Route, routes);
                    }

                    await RequestAsync(TypeUrls.Listener, [], response.Nonce, response.VersionInfo);
                    if (routes.Count == 0)
                    {
                        MarkConfigured();
                    }

                    break;
                case TypeUrls.Route:
                    Volatile.Write(ref _lastRdsReceivedAt, Stopwatch.GetTimestamp());
                    try
                    {
                        await RequestAsync(TypeUrls.Route, _rdsNames, response.Nonce, response.VersionInfo);
                    }
                    finally
                    {
                        RouteHeld(response.CalculateSize());
                    }

                    break;
                default:
                    await RequestAsync(response.TypeUrl, [], response.Nonce, response.VersionInfo);
                    break;
            }
        }
    }

    private async Task RunDeltaAsync(CallInvoker invoker, CancellationToken stop)
    {
        var method = _variant.SerialiseNodeEveryRequest ? NodeBytes.DeltaGenerated : NodeBytes.Delta;
        using var call = invoker.AsyncDuplexStreamingCall(method, null, new CallOptions(cancellationToken: stop));
        var writer = call.RequestStream;
        var subscribed = new HashSet<string>(StringComparer.Ordinal);
        async Task SubscribeAsync(string type, IEnumerable<string> subscribe, IEnumerable<string> unsubscribe)
        {
            if (Silent)
            {
                return;
            }

            var request = new DeltaDiscoveryRequest { Node = NodeForRequest(), TypeUrl = type };
            request.ResourceNamesSubscribe.AddRange(subscribe);
            request.ResourceNamesUnsubscribe.AddRange(unsubscribe);
            if (subscribed.Add(type) && _deltaVersions.TryGetValue(type, out var held))
            {
                request.InitialResourceVersions.Add(held);
            }

            Sent(request);
            await writer.WriteAsync(request, stop);
        }

        async Task AckAsync(string type, string nonce)
        {
            if (Silent)
            {
                return;
            }

            var request = new DeltaDiscoveryRequest { Node = NodeForRequest(), TypeUrl = type, ResponseNonce = nonce };
            Sent(request);
            await writer.WriteAsync(request, stop);
            Trace.Acked(type, DeltaVersion(type), nonce);
        }

        // What the proxy holds of the type, for its trace: name@version of each route configuration (a proxy has one or
        // two), the count of the others (the fleet's CPU is the server's too).
        string DeltaVersion(string type) => !_deltaVersions.TryGetValue(type, out var held) ? ""
            : type == TypeUrls.Route ? string.Join(",", held.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}@{h.Value}"))
            : $"{held.Count} resources";

        await SubscribeAsync(TypeUrls.Cluster, [], []);
        var requestedLds = false;
        if (_deltaVersions.ContainsKey(TypeUrls.Listener))
        {
            if (_edsNames.Count > 0)
            {
                await SubscribeAsync(TypeUrls.Endpoint, _edsNames, []);
            }

            await SubscribeAsync(TypeUrls.Listener, [], []);
            requestedLds = true;
            if (_rdsNames.Count > 0)
            {
                await SubscribeAsync(TypeUrls.Route, _rdsNames, []);
            }
        }

        await foreach (var response in call.ResponseStream.ReadAllAsync(stop))
        {
            Received(response.TypeUrl, response.CalculateSize());
            if (!_deltaVersions.TryGetValue(response.TypeUrl, out var held))
            {
                held = _deltaVersions[response.TypeUrl] = new Dictionary<string, string>(StringComparer.Ordinal);
            }

            foreach (var r in response.Resources)
            {
                held[r.Name] = r.Version;
            }

            foreach (var name in response.RemovedResources)
            {
                held.Remove(name);
            }

            Trace.Received(response.TypeUrl, DeltaVersion(response.TypeUrl), response.Nonce);

            switch (response.TypeUrl)
            {
                case TypeUrls.Cluster:
                    foreach (var resource in response.Resources)
                    {
                        if (ConfigNames.EdsServiceName(resource.Resource_) is { } name && _edsNames.Add(name))
                        {
                            await SubscribeAsync(TypeUrls.Endpoint, [name], []);
                        }
                    }

                    await AckAsync(TypeUrls.Cluster, response.Nonce);
                    if (!requestedLds && _edsNames.Count == 0)
                    {
                        requestedLds = true;
                        await SubscribeAsync(TypeUrls.Listener, [], []);
                    }

                    break;
                case TypeUrls.Endpoint:
                    await AckAsync(TypeUrls.Endpoint, response.Nonce);
                    if (!requestedLds)
                    {
                        requestedLds = true;
                        await SubscribeAsync(TypeUrls.Listener, [], []);
                    }

                    break;
                case TypeUrls.Listener:
                    var routes = RouteNames(response.Resources.Select(r => r.Resource_));
                    var added = routes.Except(_rdsNames).ToList();
                    _rdsNames.UnionWith(added);
                    if (added.Count > 0)
                    {
                        await SubscribeAsync(TypeUrls.Route, added, []);
                    }

                    await AckAsync(TypeUrls.Listener, response.Nonce);
                    if (_rdsNames.Count == 0)
                    {
                        MarkConfigured();
                    }

                    break;
                case TypeUrls.Route:
                    Volatile.Write(ref _lastRdsReceivedAt, Stopwatch.GetTimestamp());
                    try
                    {
                        await AckAsync(TypeUrls.Route, response.Nonce);
                    }
                    finally
                    {
                        RouteHeld(response.CalculateSize());
                    }

                    break;
                default:
                    await AckAsync(response.TypeUrl, response.Nonce);
                    break;
            }
        }
    }

    private static HashSet<string> RouteNames(IEnumerable<Google.Protobuf.WellKnownTypes.Any> listeners)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var listener in listeners)
        {
            names.UnionWith(ConfigNames.RouteNames(listener));
        }

        return names;
    }

    private void Sent(Google.Protobuf.IMessage request)
    {
        Interlocked.Increment(ref _requestsSent);
        Recorder?.Add(Google.Protobuf.MessageExtensions.ToByteArray(request), configured: ConfiguredAt != 0);
    }

    private void Received(string typeUrl, int size)
    {
        Interlocked.Add(ref _bytes, size);
        Interlocked.Increment(ref _responses);
        _backoff.Reset();
    }

    /// <summary>
    /// Counts a route response the proxy has read, once its ACK is written or its stream has ended first. A proxy
    /// holds what it has read, as Envoy applies a response before it ACKs it, and its next stream says so (SotW
    /// version_info, delta initial_resource_versions), so the server rightly sends it nothing again: counted only after
    /// a written ACK, a response read just before its stream ended was never counted, and the change's wait ran out on
    /// a proxy that had it (issue13as: 1–381 of 10,000 proxies under load). The time is then the stream's end.
    /// </summary>
    private void RouteHeld(int size)
    {
        LastRdsSize = size;
        Volatile.Write(ref _lastRdsAt, Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _rdsResponses);
        MarkConfigured();
    }

    private void MarkConfigured()
    {
        if (ConfiguredAt == 0)
        {
            ConfiguredAt = Stopwatch.GetTimestamp();
            Configured.TrySetResult();
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel?.Dispose();
        }
    }
}

/// <summary>
/// One proxy's requests as sent: those of its first stream until it was configured (the connect), and the last one
/// written since (the ACK of a route change). The bytes are the generated serialisation, the same length as what
/// <see cref="NodeBytes"/> writes (only the node's place in the message differs).
/// </summary>
internal sealed class RequestRecorder
{
    private readonly List<byte[]> _connect = [];
    private byte[]? _lastAck;

    public IReadOnlyList<byte[]> Connect
    {
        get
        {
            lock (_connect)
            {
                return [.. _connect];
            }
        }
    }

    public byte[]? LastAck
    {
        get
        {
            lock (_connect)
            {
                return _lastAck;
            }
        }
    }

    public void Add(byte[] request, bool configured)
    {
        lock (_connect)
        {
            if (configured)
            {
                _lastAck = request;
            }
            else if (_lastAck is null)
            {
                _connect.Add(request);
            }
        }
    }
}

/// <summary>One error a simulated Envoy counted: its stream's open and failure times (Stopwatch timestamps), the server, the exception.</summary>
internal sealed record FleetError(long OpenedAt, long FailedAt, Uri Server, string Message);

internal static class TypeUrls
{
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string Endpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string Route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

    /// <summary>cds, eds, lds, rds: the keys of the server's proxy status.</summary>
    public static string Short(string typeUrl) => typeUrl switch
    {
        Cluster => "cds",
        Endpoint => "eds",
        Listener => "lds",
        Route => "rds",
        _ => typeUrl,
    };
}
