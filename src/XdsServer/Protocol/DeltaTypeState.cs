using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Protocol;

/// <summary>Per-type state of a delta stream: the subscription and the version of each resource the client holds.</summary>
internal sealed class DeltaTypeState
{
    /// <summary>How many unanswered responses are remembered for ACK/NACK bookkeeping.</summary>
    public const int MaxPending = 16;

    public bool Subscribed { get; set; }

    public bool Wildcard { get; set; }

    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// What the client holds: seeded from initial_resource_versions, then updated by every response. It is the
    /// stream status's own map of the type (what CSDS shows), not a copy of it.
    /// </summary>
    public required DeltaHoldings ClientHas { get; init; }

    /// <summary>Names already reported in removed_resources as not existing, so that they are not reported again.</summary>
    public HashSet<string> ReportedMissing { get; } = new(StringComparer.Ordinal);

    /// <summary>Responses not yet ACKed or NACKed, by nonce, with the resources each carried.</summary>
    public List<(string Nonce, IReadOnlyList<XdsResource> Resources)> Pending { get; } = [];
}
