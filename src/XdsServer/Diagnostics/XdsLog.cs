using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Diagnostics;

/// <summary>Source-generated log messages of the xDS protocol and the change feed.</summary>
internal static partial class XdsLog
{
    // Debug, like every per-stream line: a server holds thousands of streams, and a reconnect storm opens them all at
    // once. mesh_xds_streams_opened_total / mesh_xds_connected_proxies and proxy status show them.
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Stream {StreamId} ({Variant}) opened by {NodeId} as {Proxy}")]
    public static partial void StreamOpened(this ILogger logger, long streamId, string variant, string nodeId, string proxy);

    // Debug also for a proxy that reset its stream or dropped its connection: an ordinary end of a proxy going away.
    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Stream {StreamId} ({Proxy}) closed: {Reason}")]
    public static partial void StreamClosed(this ILogger logger, long streamId, string proxy, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Stream {StreamId} rejected: {Reason}")]
    public static partial void StreamRejected(this ILogger logger, long streamId, string reason);

    // A request that does not decode ends its call before the call has a session, so it has no stream id; the
    // method says which service the client called.
    [LoggerMessage(EventId = 38, Level = LogLevel.Warning, Message = "Call to {Method} rejected: {Reason}")]
    public static partial void MalformedRequestRejected(this ILogger logger, string method, string reason);

    // Information: a proxyless client dialling a name that is none of its node's backends waits out gRPC's 15 s timer
    // and fails with "does not exist", and only this says which name; an Envoy rarely names one it never held (one a
    // push removes while it still names it is an ordinary removal, not logged). Once per stream and name while it
    // stays missing.
    [LoggerMessage(EventId = 39, Level = LogLevel.Information, Message = "Stream {StreamId} ({Proxy}) asks for {Type} {Name}, which its configuration does not have{Hint}")]
    public static partial void MissingRequested(this ILogger logger, long streamId, string proxy, string type, string name, string hint);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Stream {StreamId} ({Proxy}) NACKed {Type} version {Version}: {Error}. Not re-sending until the configuration changes.")]
    public static partial void Nack(this ILogger logger, long streamId, string proxy, string type, string version, string error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Stream {StreamId} ACKed {Type} version {Version}")]
    public static partial void Ack(this ILogger logger, long streamId, string type, string version);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Stream {StreamId} ignored a stale {Type} request (nonce {Nonce}, latest {Latest})")]
    public static partial void StaleNonce(this ILogger logger, long streamId, string type, string nonce, string latest);

    // Delta's stale request: its ACK or NACK names no response awaiting an answer (neither pending nor forgotten past
    // the pending limit), so it answers nothing; its subscription changes still count. Debug, as SotW's (event 6).
    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Stream {StreamId} ignored a {Type} answer to no response awaiting one (nonce {Nonce}, {Pending} awaiting an answer)")]
    public static partial void StaleDeltaNonce(this ILogger logger, long streamId, string type, string nonce, int pending);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Stream {StreamId} sent {Type} version {Version} ({Count} resources, {Removed} removed), nonce {Nonce}")]
    public static partial void Sent(this ILogger logger, long streamId, string type, string version, int count, int removed, string nonce);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Stream {StreamId} is waiting: {Reason}")]
    public static partial void Waiting(this ILogger logger, long streamId, string reason);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Stream {StreamId} is waiting for the server's first load from PostgreSQL")]
    public static partial void WaitingForFirstLoad(this ILogger logger, long streamId);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Stream {StreamId} asked for unsupported type {Type}; ignored")]
    public static partial void UnknownType(this ILogger logger, long streamId, string type);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Change feed loaded {Meshes} meshes up to change {Seq}; {Waited} streams had waited for the load")]
    public static partial void FeedLoaded(this ILogger logger, int meshes, long seq, long waited);

    [LoggerMessage(EventId = 21, Level = LogLevel.Debug, Message = "Change feed applied {Count} changes up to {Seq}; reloaded {Meshes} meshes")]
    public static partial void FeedApplied(this ILogger logger, int count, long seq, int meshes);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Change feed lost the database; serving the last snapshots and retrying in {Delay}")]
    public static partial void FeedDisconnected(this ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Mesh {Mesh} is invalid; its last good graph keeps serving: {Reason}")]
    public static partial void MeshRejected(this ILogger logger, string mesh, string reason);

    [LoggerMessage(EventId = 24, Level = LogLevel.Information, Message = "Change feed skipped change {Seq}: it never committed within {Wait}")]
    public static partial void GapSkipped(this ILogger logger, long seq, TimeSpan wait);

    [LoggerMessage(EventId = 25, Level = LogLevel.Warning, Message = "Mesh {Mesh} has tracing tags that cannot be used, so its proxies get no tracer of the mesh's: {Problems}")]
    public static partial void MeshTagsIgnored(this ILogger logger, string mesh, string problems);

    [LoggerMessage(EventId = 26, Level = LogLevel.Warning, Message = "ConnectionStrings:Mesh is not set: the change feed is off, so no mesh is served from PostgreSQL. Set it to the API's database.")]
    public static partial void FeedDisabled(this ILogger logger);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "Change feed could not prime its change path at start; the first route change pays for it instead")]
    public static partial void FeedPrimeFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 27, Level = LogLevel.Warning, Message = "Starting without the database: {Problem} The change feed retries; /readyz answers 503 until the first load.")]
    public static partial void StartingWithoutDatabase(this ILogger logger, string problem);

    [LoggerMessage(EventId = 28, Level = LogLevel.Information, Message = "Stopping: no new connections; {Streams} streams end with UNAVAILABLE as their connections are asked to close (GOAWAY), within {Timeout}")]
    public static partial void StoppingStreams(this ILogger logger, int streams, TimeSpan timeout);

    [LoggerMessage(EventId = 29, Level = LogLevel.Error, Message = "Stopping the gRPC listener failed; the host stops it again, and resets what is left after its timeout")]
    public static partial void ServerStopFailed(this ILogger logger, Exception error);

    [LoggerMessage(EventId = 33, Level = LogLevel.Information, Message = "Stopped listening: every connection closed {ClosedMs} ms after the stop began")]
    public static partial void ConnectionsClosed(this ILogger logger, long closedMs);

    [LoggerMessage(EventId = 34, Level = LogLevel.Warning, Message = "Stopped listening: connections still open {ClosedMs} ms after the stop began were reset ({Streams} streams had not ended within {Timeout})")]
    public static partial void ConnectionsReset(this ILogger logger, long closedMs, int streams, TimeSpan timeout);

    [LoggerMessage(EventId = 36, Level = LogLevel.Information, Message = "xDS port {Endpoint} stays listening, unaccepted, until the process exits (Xds:HoldPortWhileStopping): {Waiting} connections waiting in its backlog are reset then, and their proxies reconnect to the next server")]
    public static partial void PortHeldUntilExit(this ILogger logger, string endpoint, string waiting);

    [LoggerMessage(EventId = 70, Level = LogLevel.Information, Message = "xDS port {Endpoint} listening {ListeningMs} ms after the process started: its connections wait in the backlog (up to {Backlog}) until the server accepts them")]
    public static partial void ListeningAtStart(this ILogger logger, string endpoint, long listeningMs, int backlog);

    [LoggerMessage(EventId = 35, Level = LogLevel.Information, Message = "Stopped: the host's services stopped {StoppedMs} ms after the stop began")]
    public static partial void HostStopped(this ILogger logger, long stoppedMs);

    [LoggerMessage(EventId = 37, Level = LogLevel.Information, Message = "Stopped: the stop cost {CpuMs} ms of process CPU and {AllocatedMb} MB allocated; {Collections} garbage collections ({Gen1} of generation 1 or 2, {Gen2} of generation 2) paused the process {PausedMs} ms")]
    public static partial void StopCost(this ILogger logger, long cpuMs, long allocatedMb, int collections, int gen1, int gen2, long pausedMs);
}
