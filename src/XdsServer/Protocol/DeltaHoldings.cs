using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Envoy.Admin.V3;
using Envoy.Service.Status.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Protocol;

/// <summary>
/// One type of a delta stream: each resource the client holds, with its version and what the client said of it.
/// It is at once the session's protocol state (what to re-send, what to remove) and what CSDS and proxy status
/// show, so each version is kept once per stream instead of once for each (a delta proxy holds tens of resources).
/// <para>
/// The stream's own loop is the only writer; it writes under the stream status's lock and reads without it (no
/// other thread writes). CSDS reads under the lock. An entry is one of four kinds: a version the client was sent
/// (with the outcome of that response), a version the client said it had on connecting
/// (<c>initial_resource_versions</c>: shown as ACKed when it said so, since it accepted that version on an earlier
/// stream; one the snapshot has at another version is sent at once and shown as sent, and one the snapshot lacks is
/// removed), a name reported as not existing (CSDS shows it; the client holds nothing of it), or a name of the
/// baseline the client no longer holds.
/// </para>
/// <para>
/// The baseline: a wildcard type's first response carries the whole of a snapshot's wildcard list (every Envoy's
/// CDS and LDS), which every stream of that proxy identity receives alike. That response is kept as the set it
/// came from and one outcome, instead of an entry per resource: the set is shared with the snapshot and with the
/// identity's other streams, so a stream's holdings cost a few references until something changes, and entries
/// are kept only for what differs from it (a resource sent again at another version, or removed).
/// </para>
/// <para>
/// A version sent over one the client ACKed keeps that one beside it (its version and the ACK's outcome) until the
/// client answers: an ACK lets it go, and after a NACK it is what the client still runs, which CSDS and proxy status
/// show. The session itself diffs against the version sent, so a refused version is not sent again.
/// </para>
/// <para>
/// A name a response removed while the client held it is no longer held (the session does not send its removal
/// again), but the version the client ran is kept beside the removal until the client answers: an ACK lets it go, and
/// after a NACK the client still runs that version, which CSDS and proxy status show as NACKED with the error (the
/// refused version empty: a removal has none), as for a refused update, until the name is sent again (its version then
/// stands beside the new entry, as an ACKed one does) or dropped. A
/// version whose own response is not answered yet when the name is removed is the one kept only if the client takes
/// it; refused, the one before it is (or none, when it ran none). A name sent again while its removal is not answered
/// yet keeps that removal too: until the client answers it, no version sent before the removal is what the client
/// runs meanwhile; taken, it runs none, and refused, the version the removal kept stands beside the entry. Removed
/// again before it answers the first removal, the name keeps that one with the second (<see cref="Removal.Earlier"/>).
/// </para>
/// <para>
/// A response the client answers past (it answers a later one first) is taken as accepted then, its resources ACKed
/// and its removals done: the client takes the responses of a stream in order, and it answered a later one without
/// refusing this one. A response forgotten past the pending limit is answered when its answer comes all the same
/// (<see cref="AnsweredThrough"/>, by the nonce its outcome carries), or taken as accepted when the client answers a
/// later one; until then what it carried shows as sent and unanswered, which it is. A name it sent that a later
/// response sent again (before it was forgotten, or after: <see cref="SendOne"/>) or removed keeps its version by
/// name meanwhile (<see cref="Forgotten"/>), so that its answer
/// still makes that version the one the client runs until it answers the later one; the latest two forgotten
/// responses' per name (the README says what that leaves out).
/// </para>
/// </summary>
internal sealed class DeltaHoldings(string typeUrl, Lock statusLock)
{
    /// <summary>The baseline's outcome before there is a baseline (never shown: CSDS shows a baseline's outcome only).</summary>
    private static readonly DeltaOutcome NoBaseline = new(ConfigStatus.Unknown, ClientResourceStatus.Unknown, null, default);

    /// <summary>The outcome of a baseline name the client no longer holds (removed or unsubscribed).</summary>
    private static readonly DeltaOutcome Dropped = new(ConfigStatus.Unknown, ClientResourceStatus.Unknown, null, default);

    /// <summary>Shared by every holdings with no entries, and never written: most types of an idle proxy have none.</summary>
    private static readonly Dictionary<string, DeltaEntry> NoEntries = new(StringComparer.Ordinal);

    // A wildcard type held as its baseline (every Envoy's CDS and LDS once re-based) has no entries; the map is made
    // on the first write and let go when a re-base empties it, instead of a dictionary per type per stream for life.
    private Dictionary<string, DeltaEntry> _entries = NoEntries;

    /// <summary>The set whose wildcard list was this type's first response, held whole but where an entry says otherwise.</summary>
    private ResourceSet? _baseline;

    /// <summary>What the client said of the baseline's response (or the response itself, until it answers).</summary>
    private DeltaOutcome _baselineOutcome = NoBaseline;

    /// <summary>
    /// The latest response that carried no resource (an empty first answer to a wildcard, or removals only), and
    /// what the client said of it: shown for the type when the client holds nothing, which has no entry to show.
    /// </summary>
    private DeltaOutcome? _latestEmpty;

    /// <summary>
    /// Names removed from the client while it held them (<see cref="RemovedBy"/>), with the version it ran; only until
    /// the removal is ACKed (or taken as accepted), or, refused, until the name is sent again or dropped. Null while
    /// there are none (most types of most streams never have one).
    /// </summary>
    private Dictionary<string, Removal>? _removals;

    /// <summary>
    /// Of the responses forgotten past the pending limit and not answered yet, each name one of them sent that a later
    /// response, not answered yet either, sent again or removed: the version the latest such forgotten response sent,
    /// and its outcome (with its nonce), and those of the one before it. Its list is gone once forgotten, and the
    /// name's entry has the later response's outcome, so this is how its answer still makes that version what the
    /// client runs meanwhile
    /// (<see cref="Forgotten"/>). Null while there are none: a response is forgotten only by a proxy
    /// <see cref="DeltaTypeState.MaxPending"/> responses behind, and an entry here is one per name (of two versions at
    /// most), however many responses are forgotten, let go when the answer comes.
    /// </summary>
    private Dictionary<string, SentBeforeForgotten>? _sentBeforeForgotten;

    public string TypeUrl { get; } = typeUrl;

    /// <summary>The version the client holds of <paramref name="name"/>; null when it holds none.</summary>
    public string? VersionOf(string name)
    {
        if (_entries.TryGetValue(name, out var entry))
        {
            return IsHeld(entry) ? entry.Version : null;
        }

        return InBaseline(name) is { } resource ? resource.Version : null;
    }

    public bool Holds(string name) => VersionOf(name) is not null;

    /// <summary>Whether the client refused (NACKed) the version of <paramref name="name"/> it was sent last.</summary>
    public bool Refused(string name)
    {
        if (_entries.TryGetValue(name, out var entry))
        {
            return IsHeld(entry) && entry.Outcome.ClientStatus == ClientResourceStatus.Nacked;
        }

        return InBaseline(name) is not null && _baselineOutcome.ClientStatus == ClientResourceStatus.Nacked;
    }

    /// <summary>
    /// Whether there is nothing at all: nothing held, seeded, reported missing or dropped (a type's first request
    /// without <c>initial_resource_versions</c>, or after the client unsubscribed from all it held).
    /// </summary>
    public bool IsEmpty => _baseline is null && _entries.Count == 0;

    /// <summary>How many names the client holds (those reported missing are not held).</summary>
    public int HeldCount
    {
        get
        {
            var count = 0;
            foreach (var entry in _entries.Values)
            {
                if (IsHeld(entry))
                {
                    count++;
                }
            }

            if (_baseline is not null)
            {
                var wildcard = _baseline.Wildcard;
                for (var i = 0; i < wildcard.Count; i++)
                {
                    if (!_entries.ContainsKey(wildcard[i].Name))
                    {
                        count++;
                    }
                }
            }

            return count;
        }
    }

    /// <summary>The names the client holds (a new list: the caller may change the holdings while it walks it).</summary>
    public List<string> HeldNames()
    {
        var names = new List<string>(_entries.Count + (_baseline?.Wildcard.Count ?? 0));
        foreach (var (name, entry) in _entries)
        {
            if (IsHeld(entry))
            {
                names.Add(name);
            }
        }

        if (_baseline is not null)
        {
            var wildcard = _baseline.Wildcard;
            for (var i = 0; i < wildcard.Count; i++)
            {
                if (!_entries.ContainsKey(wildcard[i].Name))
                {
                    names.Add(wildcard[i].Name);
                }
            }
        }

        return names;
    }

    /// <summary>
    /// The client said on connecting that it has this version (<c>initial_resource_versions</c>); <paramref name="held"/>
    /// is the outcome of all it said so in that request (ACKed, at the time it said so).
    /// </summary>
    public void Seed(string name, string version, DeltaOutcome held) => Write(name, version, held);

    /// <summary>
    /// The resources of one response were sent; they share one outcome until the client answers, which is returned:
    /// the client's answer is given for it (<see cref="Answered"/>). When they are <paramref name="from"/>'s whole
    /// wildcard list (the very list) and nothing is held yet, they become the baseline instead of an entry each.
    /// <paramref name="nonce"/> is the response's (its number), by which a late answer finds it (<see cref="AnsweredThrough"/>);
    /// <paramref name="forgottenThrough"/> the latest response forgotten past the pending limit whose answer has not
    /// come yet (0: none), whose version of a name this one sends again is kept for that answer (<see cref="SendOne"/>).
    /// </summary>
    public DeltaOutcome Sent(IReadOnlyList<XdsResource> resources, DateTimeOffset at, ResourceSet? from = null, long nonce = 0, long forgottenThrough = 0)
    {
        var outcome = new DeltaOutcome(ConfigStatus.Stale, ClientResourceStatus.Requested, null, at, nonce);
        lock (statusLock)
        {
            if (resources.Count == 0)
            {
                _latestEmpty = outcome;
                return outcome;
            }

            if (from is not null && ReferenceEquals(resources, from.Wildcard) && _baseline is null && _entries.Count == 0)
            {
                _baseline = from;
                _baselineOutcome = outcome;
                return outcome;
            }

            // A type's first response carries most of what the client will hold: sized for it at once, the map is
            // made once (not grown through 3, 7, 17, 37, 79 entries) and keeps no more room than that needs.
            if (_entries.Count == 0)
            {
                _entries = new Dictionary<string, DeltaEntry>(resources.Count, StringComparer.Ordinal);
            }

            foreach (var r in resources)
            {
                SendOne(r.Name, r.Version, outcome, forgottenThrough);
            }
        }

        return outcome;
    }

    /// <summary>One resource sent, by name and version; returns the response's outcome, as <see cref="Sent(IReadOnlyList{XdsResource}, DateTimeOffset, ResourceSet?)"/>.</summary>
    public DeltaOutcome Sent(string name, string version, DateTimeOffset at)
    {
        var outcome = new DeltaOutcome(ConfigStatus.Stale, ClientResourceStatus.Requested, null, at);
        lock (statusLock)
        {
            SendOne(name, version, outcome);
        }

        return outcome;
    }

    /// <summary>
    /// The client ACKed or NACKed the response whose outcome was <paramref name="sent"/> and that carried
    /// <paramref name="resources"/>. Only what still has that response's outcome takes the answer: a resource sent
    /// again since (in a later response the client has not answered yet, at whatever version) or removed since
    /// keeps what it has; of one sent again, an ACK makes this response's version the one the client runs meanwhile,
    /// kept beside the entry, or beside the removal when a response after that removed it (whether the name then has
    /// no entry, or one that holds nothing: a baseline name dropped, or a subscribed name reported missing).
    /// </summary>
    public void Answered(IReadOnlyList<XdsResource> resources, DeltaOutcome sent, DeltaOutcome answer)
    {
        lock (statusLock)
        {
            if (_removals is not null)
            {
                AnswerRemovals(outcome => ReferenceEquals(outcome, sent) ? answer : null);
            }

            if (resources.Count == 0)
            {
                if (ReferenceEquals(_latestEmpty, sent))
                {
                    _latestEmpty = answer;
                }

                return;
            }

            // The baseline's own response; a stream that dropped the wildcard and took it again is sent the same list
            // again, which then has an entry per resource, answered below (the baseline's answer stays its own).
            if (ReferenceEquals(_baselineOutcome, sent))
            {
                _baselineOutcome = answer;
            }

            if (_entries.Count == 0 && _removals is null)
            {
                return;
            }

            var acked = answer.ClientStatus == ClientResourceStatus.Acked;
            foreach (var r in resources)
            {
                ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, r.Name);

                // Removed since: the name has no entry, or, one of the baseline or one reported missing, an entry
                // that holds nothing; either way its removal keeps what the client runs.
                if (Unsafe.IsNullRef(ref entry) || !IsHeld(entry))
                {
                    if (acked && _removals is not null)
                    {
                        RanMeanwhile(r.Name, r.Version, sent, answer);
                    }

                    continue;
                }

                if (ReferenceEquals(entry.Outcome, sent))
                {
                    entry = Answer(entry, answer);
                }
                else if (acked && IsHeld(entry) && entry.Outcome.ClientStatus != ClientResourceStatus.Acked)
                {
                    KeepRanMeanwhile(ref entry, r.Name, r.Version, sent, answer);
                }
            }
        }
    }

    /// <summary>
    /// The response whose outcome was <paramref name="sent"/> and that carried <paramref name="resources"/> is forgotten
    /// past the pending limit: its answer will find what still has its outcome by the outcome's nonce
    /// (<see cref="AnsweredThrough"/>), but not a name a later response, not answered yet, sent again or removed, whose
    /// version from this response is what the client runs meanwhile if it takes this one. That is kept, by name, until
    /// the answer comes (<see cref="_sentBeforeForgotten"/>). One lookup per resource of the response, only when one is
    /// forgotten; an entry made only for such a name.
    /// </summary>
    public void Forgotten(IReadOnlyList<XdsResource> resources, DeltaOutcome sent)
    {
        if (sent.Nonce == 0)
        {
            return; // no answer could find it
        }

        lock (statusLock)
        {
            for (var i = 0; i < resources.Count; i++)
            {
                var r = resources[i];
                // A version a removal not answered yet keeps (it removed that version, sent and not answered yet) is
                // answered there by its nonce: the name's slots stay for earlier forgotten responses' versions.
                var sentSince = _entries.TryGetValue(r.Name, out var entry) && IsHeld(entry)
                    ? !ReferenceEquals(entry.Outcome, sent) && entry.Outcome.ClientStatus == ClientResourceStatus.Requested && !RemovalKeeps(r.Name, sent)
                    : _removals is not null && _removals.TryGetValue(r.Name, out var removal)
                        && removal.Running is not null && !RemovalKeeps(r.Name, sent);
                if (sentSince)
                {
                    KeepSentBeforeForgotten(r.Name, r.Version, sent);
                }
            }
        }
    }

    /// <summary>
    /// The client holds exactly <paramref name="set"/>'s wildcard list, at its versions (the caller knows: the
    /// stream takes the wildcard and is in sync with that set). The holdings then become that set as the baseline,
    /// so that they no longer keep the earlier baseline's set, and the entries kept over it, alive; done only when
    /// that loses nothing CSDS shows: when there are no entries (the outcome stays), or when the baseline and every
    /// entry are ACKed (the baseline then takes the latest of those ACKs; a version the client had on connecting counts
    /// as ACKed when it said so). A NACK or a name reported missing keeps the holdings as they are.
    /// </summary>
    public void Rebase(ResourceSet set)
    {
        lock (statusLock)
        {
            if (ReferenceEquals(_baseline, set) || (_baseline is null && _entries.Count == 0))
            {
                return;
            }

            if (_entries.Count == 0)
            {
                _baseline = set;
                return;
            }

            var latest = _baseline is null ? null : _baselineOutcome;
            if (latest is not null && latest.ClientStatus != ClientResourceStatus.Acked)
            {
                return;
            }

            foreach (var entry in _entries.Values)
            {
                if (ReferenceEquals(entry.Outcome, Dropped))
                {
                    continue; // a name of the old baseline the client no longer holds, and that the new one lacks
                }

                if (entry.Outcome.ClientStatus != ClientResourceStatus.Acked)
                {
                    return;
                }

                if (latest is null || entry.Outcome.At > latest.At)
                {
                    latest = entry.Outcome;
                }
            }

            _baseline = set;
            _baselineOutcome = latest ?? _baselineOutcome;
            _entries = NoEntries;
        }
    }

    /// <summary>
    /// A name the client subscribed to was reported as not existing; the client holds nothing of it. When it held it,
    /// <paramref name="removedBy"/> is the outcome of the response that removed it (see <see cref="RemovedBy"/>).
    /// </summary>
    public void DoesNotExist(string name, DateTimeOffset at, DeltaOutcome? removedBy = null)
    {
        lock (statusLock)
        {
            if (removedBy is not null)
            {
                KeepRemoval(name, removedBy);
            }

            Writable()[name] = new DeltaEntry("", new DeltaOutcome(ConfigStatus.NotSent, ClientResourceStatus.DoesNotExist, null, at));
        }
    }

    /// <summary>
    /// The response whose outcome is <paramref name="response"/> removed the name: the client no longer holds it, but
    /// what it ran is kept until it answers, to show if it refuses the removal.
    /// </summary>
    public void RemovedBy(string name, DeltaOutcome response)
    {
        lock (statusLock)
        {
            KeepRemoval(name, response);
            Drop(name);
        }
    }

    /// <summary>The client dropped the name (unsubscribed, or subscribed again to be sent it again).</summary>
    public void Removed(string name)
    {
        lock (statusLock)
        {
            ForgetRemoval(name);
            ForgetSentBeforeForgotten(name);
            Drop(name);
        }
    }

    private void Drop(string name)
    {
        if (InBaseline(name) is not null)
        {
            Writable()[name] = new DeltaEntry("", Dropped);
        }
        else
        {
            _entries.Remove(name);
        }
    }

    /// <summary>
    /// Keeps what the client runs of <paramref name="name"/> beside its removal by <paramref name="response"/>: the
    /// version it ACKed (or held on connecting), or one sent and not answered yet (the client answers responses in
    /// order, so it took or refused that one before it refuses the removal); nothing when it runs none.
    /// </summary>
    private void KeepRemoval(string name, DeltaOutcome response)
    {
        Removal? removal = null;
        if (_entries.TryGetValue(name, out var entry))
        {
            if (IsHeld(entry) && entry.Outcome.ClientStatus == ClientResourceStatus.Requested)
            {
                // Not answered yet: what the client runs when it answers the removal is what it made of this version.
                removal = new Removal(entry.Version, entry.Outcome.At, response, entry.Outcome, entry.KeptVersion, entry.KeptOutcome?.At ?? default);
            }
            else if (IsHeld(entry) && entry.Outcome.ClientStatus != ClientResourceStatus.Nacked)
            {
                removal = new Removal(entry.Version, entry.Outcome.At, response);
            }
            else if (IsHeld(entry) && entry.KeptVersion is { } kept)
            {
                removal = new Removal(kept, entry.KeptOutcome!.At, response); // it refused the version sent last, and runs the one before
            }
        }
        else if (InBaseline(name) is { } held && _baselineOutcome.ClientStatus != ClientResourceStatus.Nacked)
        {
            removal = _baselineOutcome.ClientStatus == ClientResourceStatus.Requested
                ? new Removal(held.Version, _baselineOutcome.At, response, _baselineOutcome)
                : new Removal(held.Version, _baselineOutcome.At, response);
        }

        if (removal is { } r)
        {
            // Removed again after it was sent again, and the earlier removal is not answered yet: if the client refuses
            // the version sent since, what it runs is what it made of that removal, kept with this one until it
            // answers. One earlier removal is kept, so that a name that comes and goes while the client does not answer
            // keeps no more than two: of the one before it only its response is (to tell what was sent before it,
            // see RanMeanwhile), and what the client made of it is not known (the README says what that leaves out).
            if (r.Running is not null && _removals is not null && _removals.TryGetValue(name, out var earlier)
                && earlier.Outcome.ClientStatus == ClientResourceStatus.Requested)
            {
                if (earlier.Earlier is { } letGo)
                {
                    earlier = earlier with { Earlier = new StrongBox<Removal>(letGo.Value with { Earlier = null }) };
                }

                r = r with { Earlier = new StrongBox<Removal>(earlier) };
            }

            (_removals ??= new(StringComparer.Ordinal))[name] = r;
        }
    }

    /// <summary>
    /// The client ACKed a response that sent <paramref name="version"/> of <paramref name="name"/>, removed since by a
    /// response it has not answered yet, while a later version it has not answered either stands beside the removal:
    /// the ACKed version is what it runs if it refuses that later one (as <see cref="DeltaEntry.KeptVersion"/> is for a
    /// name still held).
    /// </summary>
    private void RanMeanwhile(string name, string version, DeltaOutcome sent, DeltaOutcome answer)
    {
        ref var removal = ref CollectionsMarshal.GetValueRefOrNullRef(_removals!, name);
        if (Unsafe.IsNullRef(ref removal) || removal.Running is not { } running || ReferenceEquals(running, sent))
        {
            return;
        }

        if (removal.Earlier is { } earlier && !SentAfter(sent, earlier.Value.Outcome))
        {
            // Sent before the earlier removal, which the client has not answered yet: it is what the client runs if
            // it refuses the version that removal removed (the earlier removal's answer then says what stands here),
            // unless one before that, let go, came between (what the client made of that is not known).
            if (earlier.Value.Running is { } ran && !ReferenceEquals(ran, sent)
                && (earlier.Value.Earlier is not { } letGo || SentAfter(sent, letGo.Value.Outcome)))
            {
                earlier.Value = earlier.Value with { RanBefore = version, RanBeforeSince = answer.At };
            }

            return;
        }

        // After the earlier removal, if any (answered past with this answer): this version replaced what it left.
        removal = removal with { RanBefore = version, RanBeforeSince = answer.At, Earlier = null };
    }

    /// <summary>
    /// The client ACKed a response that sent <paramref name="version"/> of <paramref name="name"/>, which a later
    /// response, not answered yet, sent again (<paramref name="entry"/>): that version is what it runs if it refuses
    /// the later one, kept beside the entry. Unless a removal not answered yet came between them: what the client runs
    /// until it answers the later one is then what it made of the removal, and the ACKed version is what it runs if
    /// it refuses the one that removal removed (<see cref="RanMeanwhile"/>).
    /// </summary>
    private void KeepRanMeanwhile(ref DeltaEntry entry, string name, string version, DeltaOutcome sent, DeltaOutcome answer)
    {
        if (RemovedBetween(name) && !SentAfter(sent, _removals![name].Outcome))
        {
            RanMeanwhile(name, version, sent, answer);
        }
        else
        {
            entry = entry with { KeptVersion = version, KeptOutcome = answer };
        }
    }

    /// <summary>
    /// Whether the response of <paramref name="sent"/> went out after the one of <paramref name="other"/> (by their
    /// nonces; false when either has none). Only an answer through several responses at once (one forgotten past the
    /// pending limit, answered with those it answers past) can reach a response after a removal it has not reached yet.
    /// </summary>
    private static bool SentAfter(DeltaOutcome sent, DeltaOutcome other) => other.Nonce > 0 && sent.Nonce > other.Nonce;

    /// <summary>
    /// Whether a removal of <paramref name="name"/> not answered yet keeps the version the response of
    /// <paramref name="sent"/> sent (the one it removed, or the one an earlier removal it keeps removed), whose
    /// answer finds it there.
    /// </summary>
    private bool RemovalKeeps(string name, DeltaOutcome sent) =>
        _removals is not null && _removals.TryGetValue(name, out var removal)
        && (ReferenceEquals(removal.Running, sent) || (removal.Earlier is { } earlier && ReferenceEquals(earlier.Value.Running, sent)));

    /// <summary>
    /// The client answered forgotten responses (<paramref name="answerTo"/>, as for <see cref="AnswerRemovals"/>): of
    /// each name one of them sent and a later one sent again or removed (<see cref="Forgotten"/>), the version it sent
    /// is, ACKed, what the client runs until it answers the later one, as <see cref="Answered"/> makes it for a
    /// response still pending. Called only while there are such names.
    /// </summary>
    private void AnswerSentBeforeForgotten(Func<DeltaOutcome, DeltaOutcome?> answerTo)
    {
        List<string>? answered = null;
        foreach (var (name, kept) in _sentBeforeForgotten!)
        {
            if (answerTo(kept.Sent) is not null || (kept.EarlierSent is { } earlier && answerTo(earlier) is not null))
            {
                (answered ??= []).Add(name);
            }
        }

        foreach (var name in answered ?? [])
        {
            // The earlier forgotten response's answer first: the client answers in order.
            var kept = _sentBeforeForgotten![name];
            if (kept.EarlierSent is { } earlierSent && answerTo(earlierSent) is { } earlierAnswer)
            {
                RanForgotten(name, kept.EarlierVersion!, earlierSent, earlierAnswer);
                kept = _sentBeforeForgotten[name] = kept with { EarlierVersion = null, EarlierSent = null };
            }

            if (answerTo(kept.Sent) is { } answer)
            {
                RanForgotten(name, kept.Version, kept.Sent, answer);
                ForgetSentBeforeForgotten(name);
            }
        }
    }

    /// <summary>
    /// The client gave <paramref name="answer"/> to a forgotten response that sent <paramref name="version"/> of
    /// <paramref name="name"/>, which a later response sent again or removed: ACKed, it is what the client runs until
    /// it answers that one; refused, the client runs what it ran before, which the entry or removal keeps already.
    /// </summary>
    private void RanForgotten(string name, string version, DeltaOutcome sent, DeltaOutcome answer)
    {
        if (answer.ClientStatus != ClientResourceStatus.Acked)
        {
            return;
        }

        ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, name);
        if (!Unsafe.IsNullRef(ref entry) && IsHeld(entry))
        {
            if (entry.Outcome.ClientStatus != ClientResourceStatus.Acked)
            {
                KeepRanMeanwhile(ref entry, name, version, sent, answer);
            }
        }
        else if (_removals is not null)
        {
            RanMeanwhile(name, version, sent, answer);
        }
    }

    /// <summary>
    /// Keeps <paramref name="version"/> of <paramref name="name"/>, sent by the forgotten response whose outcome is
    /// <paramref name="sent"/>, for that response's answer. An earlier forgotten response's version not answered yet is
    /// kept beside it (the client answers that one first); one before that is let go (the README says what that leaves
    /// out), so that a name keeps no more than two however many responses are forgotten.
    /// </summary>
    private void KeepSentBeforeForgotten(string name, string version, DeltaOutcome sent)
    {
        ref var kept = ref CollectionsMarshal.GetValueRefOrAddDefault(_sentBeforeForgotten ??= new(StringComparer.Ordinal), name, out var exists);
        kept = exists && !ReferenceEquals(kept.Sent, sent)
            ? new SentBeforeForgotten(version, sent, kept.Version, kept.Sent)
            : new SentBeforeForgotten(version, sent);
    }

    private void ForgetSentBeforeForgotten(string name)
    {
        if (_sentBeforeForgotten is not null && _sentBeforeForgotten.Remove(name) && _sentBeforeForgotten.Count == 0)
        {
            _sentBeforeForgotten = null;
        }
    }

    /// <summary>
    /// Whether a removal of <paramref name="name"/> not answered yet stands between the versions the client was sent
    /// before it and the one its entry has, sent again since (<see cref="SendOne"/> keeps it): what the client runs of
    /// the name until it answers that one is then what it made of the removal (<see cref="AnswerRemovals"/>), not
    /// a version sent before it. One lookup, only while the type has removals.
    /// </summary>
    private bool RemovedBetween(string name) =>
        _removals is not null && _removals.TryGetValue(name, out var removal) && removal.Outcome.ClientStatus == ClientResourceStatus.Requested;

    /// <summary>What a refused removal kept, as the ACK an entry keeps beside a later version (made only then).</summary>
    private static DeltaOutcome RanBeforeRemoval(Removal refused) =>
        new(ConfigStatus.Synced, ClientResourceStatus.Acked, null, refused.Since);

    private void ForgetRemoval(string name)
    {
        if (_removals is not null && _removals.Remove(name) && _removals.Count == 0)
        {
            _removals = null;
        }
    }

    /// <summary>
    /// The client answered the response with nonce <paramref name="through"/>, which was forgotten past the pending
    /// limit, so that what it carried is known only by its outcome's nonce: that takes <paramref name="answer"/>, and
    /// whatever an earlier response sent and is still unanswered takes <paramref name="accepted"/> (the client answers
    /// in order, so it answered past those). A walk of everything the type holds, done only after a response was
    /// forgotten: the pending list keeps no more than its limit for a proxy that does not answer.
    /// </summary>
    public void AnsweredThrough(long through, DeltaOutcome answer, DeltaOutcome accepted)
    {
        lock (statusLock)
        {
            DeltaOutcome? AnswerTo(DeltaOutcome outcome) =>
                outcome.AwaitsAnswerThrough(through) ? outcome.Nonce == through ? answer : accepted : null;

            if (AnswerTo(_baselineOutcome) is { } baseline)
            {
                _baselineOutcome = baseline;
            }

            if (_latestEmpty is not null && AnswerTo(_latestEmpty) is { } empty)
            {
                _latestEmpty = empty;
            }

            // Before the entries and removals: those versions were sent before the ones the entries and removals
            // stand for now, which this answer may answer too.
            if (_sentBeforeForgotten is not null)
            {
                AnswerSentBeforeForgotten(AnswerTo);
            }

            List<string>? names = null;
            foreach (var (name, entry) in _entries)
            {
                if (entry.Outcome.AwaitsAnswerThrough(through))
                {
                    (names ??= []).Add(name);
                }
            }

            foreach (var name in names ?? [])
            {
                ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, name);
                entry = Answer(entry, AnswerTo(entry.Outcome)!);
            }

            if (_removals is not null)
            {
                AnswerRemovals(AnswerTo);
            }
        }
    }

    /// <summary>
    /// The client answered responses (<paramref name="answerTo"/>: the answer to a response's outcome, null when it
    /// is not one of them): a removal they carried is done (ACK) or refused (NACK), and the version a removal keeps
    /// from a response they carried is what the client runs (ACK) or not (NACK: it runs the one before, if any).
    /// Called only while there are removals, which most types of most streams never have.
    /// </summary>
    private void AnswerRemovals(Func<DeltaOutcome, DeltaOutcome?> answerTo)
    {
        List<string>? answered = null;
        foreach (var (name, removal) in _removals!)
        {
            if (Answers(removal, answerTo) || (removal.Earlier is { } earlier && Answers(earlier.Value, answerTo)))
            {
                (answered ??= []).Add(name);
            }
        }

        foreach (var name in answered ?? [])
        {
            // An earlier removal is older than the version sent since, which is older than this removal: answered first.
            if (_removals![name].Earlier is { } earlier)
            {
                var removal = _removals[name];
                Removal? made = earlier.Value;
                if (earlier.Value.Running is { } earlierRunning && answerTo(earlierRunning) is { } earlierRan)
                {
                    made = AnswerRunning(earlier.Value, earlierRan);
                }

                if (made is not { } left)
                {
                    // It refused the only version it had of the name before that removal: it runs none before the version sent since.
                    _removals[name] = removal with { Earlier = null, RanBefore = null };
                }
                else if (answerTo(left.Outcome) is { } earlierAnswer)
                {
                    // Taken, it runs none before the version sent since; refused, the version the earlier removal kept.
                    _removals[name] = earlierAnswer.ClientStatus == ClientResourceStatus.Acked
                        ? removal with { Earlier = null, RanBefore = null }
                        : removal with { Earlier = null, RanBefore = left.Version, RanBeforeSince = left.Since };
                }
                else
                {
                    earlier.Value = left;
                }
            }

            // The version's response is older than the removal's, so it is answered first.
            if (_removals![name].Running is { } running && answerTo(running) is { } ran)
            {
                if (AnswerRunning(_removals[name], ran) is { } left)
                {
                    _removals[name] = left;
                }
                else
                {
                    ForgetRemoval(name); // it refused the only version it was sent: it runs nothing of the name
                    continue;
                }
            }

            if (answerTo(_removals![name].Outcome) is not { } answer)
            {
                continue;
            }

            if (answer.ClientStatus == ClientResourceStatus.Acked)
            {
                ForgetRemoval(name);
            }
            else if (_entries.TryGetValue(name, out var sentAgain) && IsHeld(sentAgain))
            {
                // Sent again after the removal: the client refused the removal, so the version it kept is what it
                // runs until it takes the one sent again, kept beside that entry as any version it ACKed is.
                var kept = _removals![name];
                if (sentAgain.Outcome.ClientStatus != ClientResourceStatus.Acked)
                {
                    _entries[name] = sentAgain with { KeptVersion = kept.Version, KeptOutcome = RanBeforeRemoval(kept) };
                }

                ForgetRemoval(name);
            }
            else
            {
                _removals![name] = _removals[name] with { Outcome = answer };
            }
        }
    }

    /// <summary>Whether <paramref name="answerTo"/> answers the removal's response, or that of the version it removed.</summary>
    private static bool Answers(Removal removal, Func<DeltaOutcome, DeltaOutcome?> answerTo) =>
        answerTo(removal.Outcome) is not null || (removal.Running is { } running && answerTo(running) is not null);

    /// <summary>
    /// A removal whose removed version, sent and not answered yet, was answered with <paramref name="ran"/>: what the
    /// client runs of the name when it answers the removal is then that version (taken) or the one it ran before
    /// (refused); null when it ran none before.
    /// </summary>
    private static Removal? AnswerRunning(Removal removal, DeltaOutcome ran) =>
        ran.ClientStatus == ClientResourceStatus.Acked ? removal with { Since = ran.At, Running = null, RanBefore = null }
        : removal.RanBefore is { } before ? removal with { Version = before, Since = removal.RanBeforeSince, Running = null, RanBefore = null }
        : null;

    /// <summary>An entry whose response was answered: ACKed, the version is what the client runs; refused, it keeps what it ran before.</summary>
    private static DeltaEntry Answer(DeltaEntry entry, DeltaOutcome answer) =>
        answer.ClientStatus == ClientResourceStatus.Acked ? new DeltaEntry(entry.Version, answer) : entry with { Outcome = answer };

    /// <summary>Whether a removal of <paramref name="name"/> is kept (not answered yet, or refused); for tests.</summary>
    internal bool KeepsRemovalOf(string name) => _removals?.ContainsKey(name) == true;

    /// <summary>
    /// What the client said of the type's latest response that carried nothing, when it holds nothing (null
    /// otherwise); called under the status lock.
    /// </summary>
    internal DeltaOutcome? EmptyOutcome => HeldCount > 0 ? null
        : _latestEmpty ?? (_baseline is { Wildcard.Count: 0 } && !ReferenceEquals(_baselineOutcome, NoBaseline) ? _baselineOutcome : null);

    /// <summary>What CSDS shows of this type; called under the status lock.</summary>
    public void AddTo(Dictionary<(string, string), ResourceStatus> all)
    {
        if (_baseline is not null)
        {
            var o = _baselineOutcome;
            foreach (var r in _baseline.Wildcard)
            {
                if (!_entries.ContainsKey(r.Name))
                {
                    all[(TypeUrl, r.Name)] = StatusOf(new DeltaEntry(r.Version, o));
                }
            }
        }

        foreach (var (name, entry) in _entries)
        {
            if (!ReferenceEquals(entry.Outcome, Dropped))
            {
                all[(TypeUrl, name)] = StatusOf(entry);
            }
        }

        // A refused removal: the client still runs the version it had (over a name reported missing, too). One not
        // answered yet is not shown, as the name is no longer the client's once it takes it.
        if (_removals is null)
        {
            return;
        }

        foreach (var (name, removal) in _removals)
        {
            if (removal.Outcome is { ClientStatus: ClientResourceStatus.Nacked } o && VersionOf(name) is null)
            {
                all[(TypeUrl, name)] = new ResourceStatus(removal.Version, o.ConfigStatus, o.ClientStatus, o.Error, removal.Since, "", o.At);
            }
        }
    }

    /// <summary>An entry as CSDS shows it: a NACKED one as the version the client keeps, beside the one it refused.</summary>
    private static ResourceStatus StatusOf(DeltaEntry entry)
    {
        var o = entry.Outcome;
        return o.ClientStatus == ClientResourceStatus.Nacked
            ? new ResourceStatus(entry.KeptVersion ?? "", o.ConfigStatus, o.ClientStatus, o.Error, entry.KeptOutcome?.At ?? o.At, entry.Version, o.At)
            : new ResourceStatus(entry.Version, o.ConfigStatus, o.ClientStatus, o.Error, o.At);
    }

    /// <summary>
    /// Records <paramref name="version"/> of <paramref name="name"/> as sent in the response of <paramref name="sent"/>,
    /// keeping beside it the version the client runs meanwhile: the one it ACKed, or the one an entry sent since it
    /// ACKed kept (called under the status lock; one lookup of the name). A version it replaces from a response
    /// forgotten past the pending limit (through <paramref name="forgottenThrough"/>) and not answered
    /// yet is kept by name for that answer, as <see cref="Forgotten"/> keeps one sent again before the response was
    /// forgotten: the answer finds only what still has that response's outcome.
    /// </summary>
    private void SendOne(string name, string version, DeltaOutcome sent, long forgottenThrough = 0)
    {
        // A refused removal is what the client runs until it takes this version: kept beside the entry instead.
        Removal? refused = null;
        if (_removals is not null && !RemovedBetween(name))
        {
            refused = _removals.TryGetValue(name, out var removal) ? removal : null;
            ForgetRemoval(name);
        }

        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(Writable(), name, out var exists);
        if (refused is { } kept && (!exists || !IsHeld(entry)))
        {
            entry = new DeltaEntry(version, sent, kept.Version, RanBeforeRemoval(kept));
            return;
        }

        if (!exists)
        {
            var held = InBaseline(name);
            if (held is not null && _baselineOutcome.AwaitsAnswerThrough(forgottenThrough))
            {
                KeepSentBeforeForgotten(name, held.Version, _baselineOutcome);
            }

            entry = held is not null && _baselineOutcome.ClientStatus == ClientResourceStatus.Acked
                ? new DeltaEntry(version, sent, held.Version, _baselineOutcome)
                : new DeltaEntry(version, sent);
        }
        else if (entry.Outcome.ClientStatus == ClientResourceStatus.Acked)
        {
            entry = new DeltaEntry(version, sent, entry.Version, entry.Outcome);
        }
        else
        {
            if (IsHeld(entry) && entry.Outcome.AwaitsAnswerThrough(forgottenThrough))
            {
                KeepSentBeforeForgotten(name, entry.Version, entry.Outcome);
            }

            entry = IsHeld(entry) ? new DeltaEntry(version, sent, entry.KeptVersion, entry.KeptOutcome) : new DeltaEntry(version, sent);
        }
    }

    private static bool IsHeld(DeltaEntry entry) =>
        entry.Outcome.ClientStatus != ClientResourceStatus.DoesNotExist && !ReferenceEquals(entry.Outcome, Dropped);

    /// <summary>The baseline's resource of that name, when there is a baseline and the name is in its wildcard list.</summary>
    private XdsResource? InBaseline(string name) =>
        _baseline is not null && _baseline.ByName.TryGetValue(name, out var resource) && !resource.OnDemandOnly ? resource : null;

    private void Write(string name, string version, DeltaOutcome outcome)
    {
        lock (statusLock)
        {
            Writable()[name] = new DeltaEntry(version, outcome);
        }
    }

    /// <summary>The entries, made when the first is written (called under the status lock).</summary>
    private Dictionary<string, DeltaEntry> Writable() =>
        ReferenceEquals(_entries, NoEntries) ? _entries = new Dictionary<string, DeltaEntry>(StringComparer.Ordinal) : _entries;

    /// <summary>
    /// One resource: the version (empty: not held) and the outcome of the response or ACK it came from; while that
    /// version is unanswered or refused, the version the client ACKed before it and that ACK's outcome (null when it
    /// held none).
    /// </summary>
    private readonly record struct DeltaEntry(string Version, DeltaOutcome Outcome, string? KeptVersion = null, DeltaOutcome? KeptOutcome = null);

    /// <summary>
    /// A version of a name a forgotten response sent (<see cref="Sent"/>: its outcome), kept for its answer
    /// (<see cref="_sentBeforeForgotten"/>), and the one an earlier forgotten response sent, when that was not answered
    /// yet either (the client answers it first; taken and the later one refused, it is what the client runs).
    /// </summary>
    private readonly record struct SentBeforeForgotten(string Version, DeltaOutcome Sent, string? EarlierVersion = null, DeltaOutcome? EarlierSent = null);

    /// <summary>
    /// A name removed from the client while it ran <see cref="Version"/> (accepted at <see cref="Since"/>), and the
    /// outcome of the removing response, or of the client's NACK of it. While that version's own response is not
    /// answered yet, <see cref="Running"/> is its outcome and <see cref="RanBefore"/> the version the client ran before
    /// it (accepted at <see cref="RanBeforeSince"/>; null when none): what it runs if it refuses that version. When that
    /// version was sent again after an earlier removal of the name that is not answered yet either, <see cref="Earlier"/>
    /// is that removal: what the client makes of it, once answered, becomes <see cref="RanBefore"/> (none when it takes it).
    /// </summary>
    private readonly record struct Removal(
        string Version,
        DateTimeOffset Since,
        DeltaOutcome Outcome,
        DeltaOutcome? Running = null,
        string? RanBefore = null,
        DateTimeOffset RanBeforeSince = default,
        StrongBox<Removal>? Earlier = null);
}
