using Envoy.Admin.V3;
using Envoy.Service.Status.V3;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// One type of a delta stream: each resource the client holds, with its version and what the client said of it.
/// It is at once the session's protocol state (what to re-send, what to remove) and what CSDS and proxy status
/// show, so each version is kept once per stream instead of once for each (a delta proxy holds tens of resources).
/// <para>
/// The stream's own loop is the only writer; it writes under the stream status's lock and reads without it (no
/// other thread writes). CSDS reads under the lock. An entry is one of three kinds: a version the client was sent
/// (with the outcome of that response), a version the client said it had on connecting
/// (<c>initial_resource_versions</c>: the protocol counts it, CSDS does not show it, as this stream sent nothing),
/// or a name reported as not existing (CSDS shows it; the client holds nothing of it).
/// </para>
/// </summary>
internal sealed class DeltaHoldings(string typeUrl, Lock statusLock)
{
    /// <summary>The outcome of a version the client had before this stream sent anything.</summary>
    private static readonly DeltaOutcome Seeded = new(ConfigStatus.Unknown, ClientResourceStatus.Unknown, null, default);

    private readonly Dictionary<string, DeltaEntry> _entries = new(StringComparer.Ordinal);

    public string TypeUrl { get; } = typeUrl;

    /// <summary>The version the client holds of <paramref name="name"/>; null when it holds none.</summary>
    public string? VersionOf(string name) =>
        _entries.TryGetValue(name, out var entry) && entry.Outcome.ClientStatus != ClientResourceStatus.DoesNotExist ? entry.Version : null;

    public bool Holds(string name) => VersionOf(name) is not null;

    /// <summary>The names the client holds (a new list: the caller may change the holdings while it walks it).</summary>
    public List<string> HeldNames()
    {
        var names = new List<string>(_entries.Count);
        foreach (var (name, entry) in _entries)
        {
            if (entry.Outcome.ClientStatus != ClientResourceStatus.DoesNotExist)
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>The client said on connecting that it has this version (<c>initial_resource_versions</c>).</summary>
    public void Seed(string name, string version) => Write(name, version, Seeded);

    /// <summary>The resources of one response were sent; they share one outcome until the client answers.</summary>
    public void Sent(IReadOnlyList<XdsResource> resources, DateTimeOffset at)
    {
        if (resources.Count == 0)
        {
            return;
        }

        var outcome = new DeltaOutcome(ConfigStatus.Stale, ClientResourceStatus.Requested, null, at);
        lock (statusLock)
        {
            foreach (var r in resources)
            {
                _entries[r.Name] = new DeltaEntry(r.Version, outcome);
            }
        }
    }

    /// <summary>One resource sent, by name and version.</summary>
    public void Sent(string name, string version, DateTimeOffset at) =>
        Write(name, version, new DeltaOutcome(ConfigStatus.Stale, ClientResourceStatus.Requested, null, at));

    /// <summary>
    /// The client ACKed or NACKed the response that carried <paramref name="resources"/>. Only the resources still
    /// held at the version that response carried take the answer: one sent again since (a later response the
    /// client has not answered yet) or removed since keeps what it has.
    /// </summary>
    public void Answered(IReadOnlyList<XdsResource> resources, DeltaOutcome outcome)
    {
        if (resources.Count == 0)
        {
            return;
        }

        lock (statusLock)
        {
            foreach (var r in resources)
            {
                if (_entries.TryGetValue(r.Name, out var entry) && entry.Outcome.ClientStatus != ClientResourceStatus.DoesNotExist
                    && string.Equals(entry.Version, r.Version, StringComparison.Ordinal))
                {
                    _entries[r.Name] = new DeltaEntry(entry.Version, outcome);
                }
            }
        }
    }

    /// <summary>A name the client subscribed to was reported as not existing; the client holds nothing of it.</summary>
    public void DoesNotExist(string name, DateTimeOffset at) =>
        Write(name, "", new DeltaOutcome(ConfigStatus.NotSent, ClientResourceStatus.DoesNotExist, null, at));

    /// <summary>The client dropped the name (removed, or unsubscribed).</summary>
    public void Removed(string name)
    {
        lock (statusLock)
        {
            _entries.Remove(name);
        }
    }

    /// <summary>What CSDS shows of this type; called under the status lock.</summary>
    public void AddTo(Dictionary<(string, string), ResourceStatus> all)
    {
        foreach (var (name, entry) in _entries)
        {
            var o = entry.Outcome;
            if (!ReferenceEquals(o, Seeded))
            {
                all[(TypeUrl, name)] = new ResourceStatus(entry.Version, o.ConfigStatus, o.ClientStatus, o.Error, o.At);
            }
        }
    }

    private void Write(string name, string version, DeltaOutcome outcome)
    {
        lock (statusLock)
        {
            _entries[name] = new DeltaEntry(version, outcome);
        }
    }

    /// <summary>One resource: the version (empty: reported missing) and the outcome of the response or ACK it came from.</summary>
    private readonly record struct DeltaEntry(string Version, DeltaOutcome Outcome);
}
