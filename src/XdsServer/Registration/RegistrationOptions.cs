namespace Mesh.XdsServer.Registration;

/// <summary><c>Xds:Registration</c>: automatic Cloud Map registration of sidecars that ask for it in their bootstrap.</summary>
public sealed class RegistrationOptions
{
    /// <summary>
    /// How long an instance stays registered after its last renewal: a sidecar that reconnects (to any replica)
    /// within it keeps its registration; one that does not is deregistered by whichever replica sweeps first.
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a replica renews the leases of the sidecars connected to it and sweeps lapsed ones; well under <see cref="GracePeriod"/>.</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Why these settings cannot work, or null: a lease renewed less often than it lasts would lapse under a connected sidecar.</summary>
    public string? Problem() =>
        RenewInterval <= TimeSpan.Zero || GracePeriod <= RenewInterval
            ? $"Xds:Registration:GracePeriod ({GracePeriod}) must be longer than Xds:Registration:RenewInterval ({RenewInterval}), which must be positive; otherwise a connected sidecar's lease lapses between renewals."
            : null;
}
