using System.ComponentModel.DataAnnotations;
using Mesh.Security;

namespace Mesh.Api.Security;

/// <summary>The "Mesh:Auth" configuration section.</summary>
public sealed class AuthOptions
{
    public const string Section = "Mesh:Auth";

    /// <summary>
    /// SigV4 (the default) verifies every API request. None turns authentication off: every request acts
    /// as Mesh:AccountId with full rights. None must be chosen explicitly and is logged as a warning.
    /// </summary>
    public AuthMode Mode { get; set; } = AuthMode.SigV4;

    /// <summary>Base64 of 32 random bytes; encrypts access-key secrets at rest. Required in SigV4 mode.</summary>
    public string? MasterKey { get; set; }

    /// <summary>Sustained requests per second allowed to one account before TooManyRequestsException.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Mesh:Auth:RequestsPerSecond must be at least 1.")]
    public int RequestsPerSecond { get; set; } = 200;

    /// <summary>Requests an account may burst above its sustained rate.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "Mesh:Auth:Burst must not be negative.")]
    public int Burst { get; set; } = 400;
}
