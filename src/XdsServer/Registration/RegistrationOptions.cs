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
}
