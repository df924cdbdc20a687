using Envoy.Admin.V3;
using Envoy.Config.Core.V3;
using Envoy.Service.Status.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.XdsServer.Identity;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// The client-side view of one xDS stream, kept for CSDS: the node, and for each resource the version sent and
/// whether the client ACKed or NACKed it. Written by the stream's own loop, read by CSDS; hence the lock.
/// </summary>
public sealed class StreamStatus(long id, string variant, TimeProvider clock)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Type, string Name), ResourceStatus> _resources = [];
    private readonly HashSet<string> _requestedTypes = [];

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

    public void Requested(string typeUrl)
    {
        lock (_lock)
        {
            _requestedTypes.Add(typeUrl);
        }
    }

    public void Sent(string typeUrl, string name, string version)
    {
        Set(typeUrl, name, new ResourceStatus(version, ConfigStatus.Stale, ClientResourceStatus.Requested, null, clock.GetUtcNow()));
    }

    public void DoesNotExist(string typeUrl, string name)
    {
        Set(typeUrl, name, new ResourceStatus("", ConfigStatus.NotSent, ClientResourceStatus.DoesNotExist, null, clock.GetUtcNow()));
    }

    public void Removed(string typeUrl, string name)
    {
        lock (_lock)
        {
            _resources.Remove((typeUrl, name));
        }
    }

    public void Acked(string typeUrl, IEnumerable<(string Name, string Version)> resources)
    {
        foreach (var (name, version) in resources)
        {
            Set(typeUrl, name, new ResourceStatus(version, ConfigStatus.Synced, ClientResourceStatus.Acked, null, clock.GetUtcNow()));
        }
    }

    public void Nacked(string typeUrl, IEnumerable<(string Name, string Version)> resources, string error)
    {
        foreach (var (name, version) in resources)
        {
            Set(typeUrl, name, new ResourceStatus(version, ConfigStatus.Error, ClientResourceStatus.Nacked, error, clock.GetUtcNow()));
        }
    }

    public IReadOnlyDictionary<(string Type, string Name), ResourceStatus> Resources
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<(string, string), ResourceStatus>(_resources);
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
        lock (_lock)
        {
            var config = new ClientConfig { Node = Node ?? new Node() };
            foreach (var ((type, name), status) in _resources.OrderBy(r => r.Key.Type, StringComparer.Ordinal).ThenBy(r => r.Key.Name, StringComparer.Ordinal))
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
                    generic.ErrorState = new UpdateFailureState
                    {
                        Details = error,
                        VersionInfo = status.Version,
                        LastUpdateAttempt = Timestamp.FromDateTimeOffset(status.LastUpdated),
                    };
                }

                config.GenericXdsConfigs.Add(generic);
            }

            if (problem is not null)
            {
                foreach (var type in _requestedTypes.Order(StringComparer.Ordinal))
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
    }

    private void Set(string typeUrl, string name, ResourceStatus status)
    {
        lock (_lock)
        {
            _resources[(typeUrl, name)] = status;
        }
    }
}
