using Envoy.Admin.V3;
using Envoy.Service.Status.V3;

namespace Mesh.XdsServer.Protocol;

/// <summary>What the client said of a delta response (or of the ACK of one), shared by all its resources.</summary>
internal sealed record DeltaOutcome(ConfigStatus ConfigStatus, ClientResourceStatus ClientStatus, string? Error, DateTimeOffset At);
