using Envoy.Admin.V3;
using Envoy.Service.Status.V3;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// What one client knows of one resource, as CSDS reports it. For a NACKED resource, as an Envoy's own CSDS reports
/// it: <see cref="Version"/> and <see cref="LastUpdated"/> are the version the client keeps running and when it
/// accepted it (empty when it holds none, the rejected one being its first), and <see cref="RejectedVersion"/> and
/// <see cref="RejectedAt"/> the version it refused (empty for a removal it refused) and when.
/// </summary>
public sealed record ResourceStatus(
    string Version,
    ConfigStatus ConfigStatus,
    ClientResourceStatus ClientStatus,
    string? Error,
    DateTimeOffset LastUpdated,
    string? RejectedVersion = null,
    DateTimeOffset? RejectedAt = null);
