using Envoy.Admin.V3;
using Envoy.Service.Status.V3;

namespace Mesh.XdsServer.Protocol;

/// <summary>What one client knows of one resource, as CSDS reports it.</summary>
public sealed record ResourceStatus(
    string Version,
    ConfigStatus ConfigStatus,
    ClientResourceStatus ClientStatus,
    string? Error,
    DateTimeOffset LastUpdated);
