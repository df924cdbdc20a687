using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Protocol;

/// <summary>Per-type state of a state-of-the-world stream: the subscription and what was last sent.</summary>
internal sealed class SotwTypeState
{
    public bool Subscribed { get; set; }

    public bool Wildcard { get; set; }

    public HashSet<string> Names { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The nonce of the latest response; a request that echoes any other nonce is stale.</summary>
    public string? SentNonce { get; set; }

    public string? SentVersion { get; set; }

    public IReadOnlyList<XdsResource> Sent { get; set; } = [];

    public bool EverSent { get; set; }

    /// <summary>
    /// The version a reconnecting client said it holds on its first request for the type. Kept until something is
    /// sent, so a snapshot that arrives after the request (the server restarted and had not loaded yet) is not
    /// re-sent when it is exactly what the client has.
    /// </summary>
    public string? ClientVersion { get; set; }
}
