namespace Mesh.XdsServer.Registration;

/// <summary>
/// A sidecar's automatic registration as <c>/proxy-status</c> shows it. <see cref="State"/>: <c>PENDING</c> (not
/// written yet), <c>REGISTERED</c> (lease held by this replica), <c>WAITING</c> (nothing to register into yet: see
/// <see cref="Detail"/>), <c>REFUSED</c> (an instance of that id was registered through the API), <c>INVALID</c>
/// (bad metadata), <c>ERROR</c> (the database write failed; retried).
/// </summary>
public sealed record RegistrationStatus(
    string State,
    string? InstanceId,
    string? Service,
    string? Detail,
    DateTimeOffset? LeaseExpiresAt);
