namespace Mesh.XdsServer.Hosting.WarmUp;

/// <summary>The start-up warm-up (configuration section <c>Xds:WarmUp</c>; <see cref="XdsWarmUp"/>).</summary>
public sealed class WarmUpOptions
{
    public const string Section = "Xds:WarmUp";

    /// <summary>Off only to measure what the warm-up saves: a cold server makes its first proxies pay for it.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Route changes the warm-up's proxies receive after they are configured. The runtime compiles a method again,
    /// optimised, once it has been called 30 times (tiered compilation); changes enough to get the change path there
    /// spare the first real change that recompilation.
    /// </summary>
    public int Changes { get; set; } = 40;

    /// <summary>How long the warm-up may take before the server starts without the rest of it (logged and counted).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public string? Problem() =>
        Changes < 0 ? $"Xds:WarmUp:Changes ({Changes}) must not be negative."
        : Timeout <= TimeSpan.Zero ? $"Xds:WarmUp:Timeout ({Timeout}) must be positive."
        : null;
}
