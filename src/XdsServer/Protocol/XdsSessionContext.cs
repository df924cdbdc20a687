using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Protocol;

/// <summary>Everything a stream session needs from the host, bundled so that services stay thin.</summary>
public sealed class XdsSessionContext(
    SnapshotCache cache,
    ProxyIdentityParser parser,
    StreamRegistry registry,
    XdsMetrics metrics,
    ILoggerFactory loggers,
    IHostApplicationLifetime? lifetime = null,
    Registration.ProxyRegistrations? registrations = null,
    PushGate? pushGate = null)
{
    /// <summary>Bounds the pushes being written across streams (<c>Xds:PushesInFlight</c>, on by default); null: unbounded (<c>Xds:PushesInFlight=0</c>, and contexts built without one).</summary>
    public PushGate? PushGate { get; } = pushGate;

    /// <summary>
    /// Fires when the server shuts down. Streams served by Kestrel end when their connection is asked to close
    /// (<see cref="XdsStreams.ConnectionClosing"/>), which follows at once; this ends those without a connection.
    /// </summary>
    public CancellationToken Stopping { get; } = lifetime?.ApplicationStopping ?? CancellationToken.None;

    public SnapshotCache Cache { get; } = cache;

    public ProxyIdentityParser Parser { get; } = parser;

    public StreamRegistry Registry { get; } = registry;

    public XdsMetrics Metrics { get; } = metrics;

    /// <summary>Automatic Cloud Map registration; null without a database.</summary>
    public Registration.ProxyRegistrations? Registrations { get; } = registrations;

    public ILogger Logger { get; } = loggers.CreateLogger("Mesh.XdsServer.Protocol");
}
