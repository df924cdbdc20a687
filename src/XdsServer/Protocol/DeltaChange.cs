using Envoy.Service.Discovery.V3;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// What a delta stream is sent of one type when the identity's snapshot changes, worked out once for every stream
/// of the identity that is in the same position: it held all it asked for of the earlier set (its
/// <see cref="DeltaTypeState.InSyncWith"/>) and subscribes alike (the wildcard, or the same names). What such a
/// client holds is then that set's content, whoever it is, so the diff to the new set is the same for all of
/// them, and so are the responses: built and encoded once (<see cref="SharedDeltaResponses"/>), written by each
/// stream as they are. A stream that differs (a subscription changed since, a reconnect seeded from
/// <c>initial_resource_versions</c> not yet answered, a wildcard that also names resources) diffs on its own.
/// <para>
/// It is keyed by the earlier set's content version, not by the set, so that it does not keep the earlier
/// snapshot alive; it lives on the new set (<see cref="Snapshots.ResourceSet.FindDeltaChange"/>) as long as that does.
/// </para>
/// <para>
/// A stream's first response of a type is the change from nothing (<see cref="FromNothing"/>): every stream of the
/// identity that holds nothing of the type (no <c>initial_resource_versions</c>, nothing sent yet) and subscribes
/// alike is sent the same thing. That change is one response carrying both the resources and the names that do not
/// exist (<see cref="OneResponse"/>), as a stream's own answer to its request would be.
/// </para>
/// </summary>
internal sealed class DeltaChange
{
    /// <summary>The earlier content of a client that holds nothing of the type; a content version is never empty.</summary>
    public const string FromNothing = "";

    private readonly string _fromVersion;
    private readonly bool _wildcard;
    private readonly string[] _names;
    private readonly string _systemVersion;

    public DeltaChange(
        string typeUrl,
        string fromVersion,
        bool wildcard,
        HashSet<string>? names,
        string systemVersion,
        IReadOnlyList<XdsResource> upserts,
        IReadOnlyList<string> removals,
        bool oneResponse = false)
    {
        _fromVersion = fromVersion;
        OneResponse = oneResponse;
        _wildcard = wildcard;
        _names = names is { Count: > 0 } ? [.. names] : [];
        _systemVersion = systemVersion;
        Upserts = upserts;
        Removals = removals;
        if (oneResponse)
        {
            if (upserts.Count > 0 || removals.Count > 0)
            {
                UpsertResponse = SharedDeltaResponses.Share(DeltaResponses.Create(systemVersion, typeUrl, nonce: "", upserts, removals));
            }

            return;
        }

        if (upserts.Count > 0)
        {
            UpsertResponse = SharedDeltaResponses.Share(DeltaResponses.Create(systemVersion, typeUrl, nonce: "", upserts, []));
        }

        if (removals.Count > 0)
        {
            RemovalResponse = SharedDeltaResponses.Share(DeltaResponses.Create(systemVersion, typeUrl, nonce: "", [], removals));
        }
    }

    /// <summary>The resources added or changed, in name order (the client holds them once the response is written).</summary>
    public IReadOnlyList<XdsResource> Upserts { get; }

    /// <summary>The names to remove, sorted; sent after every type's upserts (make-before-break).</summary>
    public IReadOnlyList<string> Removals { get; }

    /// <summary>
    /// Whether <see cref="UpsertResponse"/> carries the removals too (a first response, answering a request), instead
    /// of the removals going in <see cref="RemovalResponse"/> after every type's upserts (a change).
    /// </summary>
    public bool OneResponse { get; }

    /// <summary>
    /// The response carrying <see cref="Upserts"/> (and, when <see cref="OneResponse"/>, <see cref="Removals"/>);
    /// null when it would carry nothing. It has no nonce: each stream writes it with its own (<see cref="SharedDeltaWriter"/>).
    /// </summary>
    public DeltaDiscoveryResponse? UpsertResponse { get; }

    /// <summary>The response carrying <see cref="Removals"/>; null when there are none.</summary>
    public DeltaDiscoveryResponse? RemovalResponse { get; }

    /// <summary>Whether this is the change for a client that held <paramref name="fromVersion"/>'s content and subscribes so, in snapshot <paramref name="systemVersion"/>.</summary>
    public bool Matches(string fromVersion, bool wildcard, HashSet<string>? names, string systemVersion, bool oneResponse = false)
    {
        if (wildcard != _wildcard || oneResponse != OneResponse || (names?.Count ?? 0) != _names.Length
            || !string.Equals(fromVersion, _fromVersion, StringComparison.Ordinal)
            || !string.Equals(systemVersion, _systemVersion, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var name in _names)
        {
            if (!names!.Contains(name))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="other"/> is made for the same clients as this one (whatever it sends, it is the same).</summary>
    public bool SameClientPosition(DeltaChange other) =>
        other._wildcard == _wildcard
        && other.OneResponse == OneResponse
        && string.Equals(other._fromVersion, _fromVersion, StringComparison.Ordinal)
        && string.Equals(other._systemVersion, _systemVersion, StringComparison.Ordinal)
        && other._names.Length == _names.Length
        && Array.TrueForAll(other._names, name => Array.IndexOf(_names, name) >= 0);
}
