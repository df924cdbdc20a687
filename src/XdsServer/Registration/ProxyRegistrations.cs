using System.Collections.Concurrent;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.ProxyStatus;
using Mesh.XdsServer.Snapshots;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Registration;

/// <summary>
/// Keeps the sidecars connected to this replica registered in Cloud Map. Every <see cref="RegistrationOptions.RenewInterval"/>
/// (and at once when a stream asks) it renews a lease of <see cref="RegistrationOptions.GracePeriod"/> for each, and
/// sweeps lapsed leases of any replica. Nothing is deregistered when a stream closes: the lease lapses instead, so a
/// sidecar that reconnects to another replica is taken over there without a gap, and a replica that dies leaves
/// nothing behind that the others do not remove.
/// </summary>
public sealed class ProxyRegistrations(
    InstanceLeases leases,
    SnapshotProducer producer,
    XdsMetrics metrics,
    ProxyStatusCollector replica,
    IOptions<RegistrationOptions> options,
    TimeProvider clock,
    ILogger<ProxyRegistrations> logger) : BackgroundService
{
    private const string EventsMetric = "mesh_xds_registrations_total";
    private const string EventsHelp = "Automatic Cloud Map registrations by event: created, updated (the instance written), registered, waiting, refused, error (a stream's state changed to it), deregistered (lapsed lease swept), invalid (a stream asked with bad metadata: not registered), pass_failed (a renewal and sweep pass failed, retried at the next interval: leases may lapse and lapsed ones stay registered meanwhile).";

    // Every event's series exists from the start at zero, so an alert on refusals or errors has a series to watch.
    private static readonly string[] Events = ["created", "updated", "registered", "waiting", "refused", "error", "deregistered", "invalid", "pass_failed"];

    private readonly ConcurrentDictionary<long, Tracked> _streams = new();
    private readonly SemaphoreSlim _wake = new(0);

    private sealed record Tracked(StreamStatus Stream, ProxyIdentity Identity, RequestedInstance Instance);

    /// <summary>A stream whose registration request is bad (<see cref="RequestedInstance.FromNode"/>): it is never registered.</summary>
    public static void CountInvalid(XdsMetrics metrics) => metrics.Increment(EventsMetric, EventsHelp, "event=\"invalid\"");

    /// <summary>Sidecars on this replica whose instance is registered now.</summary>
    public int Registered => _streams.Values.Count(t => t.Stream.Registration?.State == "REGISTERED");

    /// <summary>Starts keeping the stream's instance registered until the returned handle is disposed (the stream closes).</summary>
    public IDisposable Track(StreamStatus stream, ProxyIdentity identity, RequestedInstance instance)
    {
        stream.Registration = new RegistrationStatus("PENDING", instance.InstanceId, null, null, null);
        _streams[stream.Id] = new Tracked(stream, identity, instance);
        _wake.Release();
        return new Untrack(this, stream.Id);
    }

    private sealed class Untrack(ProxyRegistrations owner, long streamId) : IDisposable
    {
        public void Dispose() => owner.Release(streamId);
    }

    private void Release(long streamId)
    {
        if (_streams.TryRemove(streamId, out var tracked) && tracked.Stream.Registration?.State == "REGISTERED")
        {
            logger.RegistrationReleased(tracked.Instance.InstanceId, tracked.Stream.Registration.Service ?? "?", options.Value.GracePeriod);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var name in Events)
        {
            metrics.Increment(EventsMetric, EventsHelp, $"event=\"{name}\"", by: 0);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RenewAsync(stoppingToken);
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Counted as well as logged: until a pass succeeds, held leases are not renewed and lapsed ones are
                // not swept, so callers may be sent to instances that are gone.
                metrics.Increment(EventsMetric, EventsHelp, "event=\"pass_failed\"");
                logger.RegistrationPassFailed(e);
            }

            try
            {
                await _wake.WaitAsync(options.Value.RenewInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RenewAsync(CancellationToken ct)
    {
        // Several streams may ask for one instance (a per-type client, or a reconnect overlapping its old stream):
        // one write each pass is enough.
        foreach (var group in _streams.Values.GroupBy(t => (t.Identity, t.Instance)))
        {
            var (identity, instance) = group.Key;
            var status = await RenewOneAsync(identity, instance, ct);
            foreach (var tracked in group)
            {
                var before = tracked.Stream.Registration;
                tracked.Stream.Registration = status;
                if (before?.State != status.State || before.Detail != status.Detail)
                {
                    metrics.Increment(EventsMetric, EventsHelp, $"event=\"{status.State.ToLowerInvariant()}\"");
                    logger.RegistrationChanged(tracked.Stream.Id, identity.ToString(), instance.ToString(), status.State, status.Service ?? "-", status.Detail ?? "");
                }
            }
        }
    }

    private async Task<RegistrationStatus> RenewOneAsync(ProxyIdentity identity, RequestedInstance instance, CancellationToken ct)
    {
        if (identity.Kind != ProxyKind.VirtualNode)
        {
            return new("WAITING", instance.InstanceId, null, "only a virtual node's sidecar is registered, not a gateway", null);
        }

        var node = producer.Mesh(identity.Mesh)?.FindVirtualNode(identity.Name);
        if (node is null)
        {
            return new("WAITING", instance.InstanceId, null, $"virtualNode/{identity.Name} does not exist", null);
        }

        // Said apart from a missing node: a node on DNS waits for ever, and the fix is in its spec, not in time.
        var discovery = node.Spec.ServiceDiscovery?.AwsCloudMap;
        if (discovery is null)
        {
            var used = node.Spec.ServiceDiscovery?.Dns is not null ? "dns service discovery" : "no service discovery";
            return new("WAITING", instance.InstanceId, null, $"virtualNode/{identity.Name} uses {used}, not awsCloudMap: only a node discovered through Cloud Map has a service to register in", null);
        }

        var service = $"{discovery.NamespaceName}/{discovery.ServiceName}";
        var expires = clock.GetUtcNow() + options.Value.GracePeriod;
        try
        {
            var outcome = await leases.HoldAsync(identity.Mesh.AccountId, discovery, instance, replica.ReplicaId, expires, ct);
            if (outcome is InstanceLeases.Outcome.Created or InstanceLeases.Outcome.Updated)
            {
                metrics.Increment(EventsMetric, EventsHelp, outcome == InstanceLeases.Outcome.Created ? "event=\"created\"" : "event=\"updated\"");
            }

            return outcome switch
            {
                InstanceLeases.Outcome.NoService => new("WAITING", instance.InstanceId, service, $"Cloud Map service '{discovery.ServiceName}' in namespace '{discovery.NamespaceName}' does not exist", null),
                InstanceLeases.Outcome.OwnedByApi => new("REFUSED", instance.InstanceId, service, "an instance with this id was registered through the API; it is left as it is", null),
                _ => new("REGISTERED", instance.InstanceId, service, null, expires),
            };
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return new("ERROR", instance.InstanceId, service, e.Message, null);
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        foreach (var (service, instanceId, owner) in await leases.SweepAsync(ct))
        {
            metrics.Increment(EventsMetric, EventsHelp, "event=\"deregistered\"");
            logger.RegistrationLapsed(instanceId, service, owner ?? "?");
        }
    }
}
