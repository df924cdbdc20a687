using Google.Protobuf.Collections;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Protocol;

/// <summary>Per-type state of a state-of-the-world stream: the subscription and what was last sent.</summary>
internal sealed class SotwTypeState
{
    public bool Subscribed { get; set; }

    public bool Wildcard { get; set; }

    /// <summary>
    /// Whether the client ever named anything of the type, <c>*</c> included: from then on an empty list unsubscribes
    /// from everything instead of being the legacy wildcard (xDS, "How the client specifies what resources to return").
    /// </summary>
    public bool EverNamed { get; set; }

    /// <summary>The names the client asks for, but <c>*</c>: distinct, in ordinal order.</summary>
    public string[] Names { get; private set; } = [];

    /// <summary>The client's <c>resource_names</c> as it last sent them, so an unchanged list (every ACK) is recognised without allocating.</summary>
    private string[] _requestedNames = [];

    /// <summary>Names asked for that were logged as missing, so each is logged once while it stays missing; null when none.</summary>
    public HashSet<string>? ReportedMissing { get; set; }

    /// <summary>The nonce of the latest response; a request that echoes any other nonce is stale.</summary>
    public string? SentNonce { get; set; }

    public string? SentVersion { get; set; }

    /// <summary>Whether the client refused the latest response (a NACK): cleared when it accepts one, or another is sent.</summary>
    public bool SentNacked { get; set; }

    /// <summary>The resources of the latest response, in name order: often the snapshot's own list, shared.</summary>
    public IReadOnlyList<XdsResource> Sent { get; set; } = [];

    public bool EverSent { get; set; }

    /// <summary>
    /// The shared encoding of the latest response while the client has not answered it: the encodings are held weakly
    /// (<see cref="SharedSotwResponses"/>), and this keeps one alive through a push to the identity's streams.
    /// </summary>
    public SotwEncoding? SentEncoding { get; set; }

    /// <summary>
    /// The version a reconnecting client said it holds on its first request for the type. Kept until something is
    /// sent, so a snapshot that arrives after the request (the server restarted and had not loaded yet) is not
    /// re-sent when it is exactly what the client has; and until the client asks for other names, since it holds
    /// that version of the names it asked for then, not of the new ones.
    /// </summary>
    public string? ClientVersion { get; set; }

    /// <summary>
    /// Takes the request's <c>resource_names</c>; allocates only when they differ from the last request's. True when
    /// they differ.
    /// </summary>
    public bool Request(RepeatedField<string> names)
    {
        if (names.Count == _requestedNames.Length)
        {
            var same = true;
            for (var i = 0; i < names.Count && same; i++)
            {
                same = names[i] == _requestedNames[i];
            }

            if (same)
            {
                return false;
            }
        }

        _requestedNames = [.. names];
        Names = names.Where(n => n != "*").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return true;
    }
}
