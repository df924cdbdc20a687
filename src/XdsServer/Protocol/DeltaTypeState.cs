using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Protocol;

/// <summary>Per-type state of a delta stream: the subscription and the version of each resource the client holds.</summary>
internal sealed class DeltaTypeState
{
    /// <summary>How many unanswered responses are remembered for ACK/NACK bookkeeping.</summary>
    public const int MaxPending = 16;

    // Both sets are made on first use: a wildcard stream (every Envoy's CDS and LDS) names nothing, and a name is
    // reported missing rarely, so most of a proxy's types never need either.
    private HashSet<string>? _names;
    private HashSet<string>? _reportedMissing;
    private HashSet<string>? _answerAtNextDiff;

    public bool Subscribed { get; set; }

    public bool Wildcard { get; set; }

    /// <summary>
    /// A wildcard subscription that held nothing on its first request is owed a first response even when there is
    /// nothing to send: Envoy completes initialisation only once it has one (else it waits out its initial fetch
    /// timeout). Cleared by any response written for the type.
    /// </summary>
    public bool OwesFirstResponse { get; set; }

    /// <summary>The names subscribed to explicitly (besides the wildcard); null when none ever was.</summary>
    public HashSet<string>? Names => _names;

    public bool HasNames => _names is { Count: > 0 };

    public bool IsNamed(string name) => _names?.Contains(name) == true;

    public void Subscribe(string name) => (_names ??= new(StringComparer.Ordinal)).Add(name);

    /// <summary>The client no longer asks for <paramref name="name"/>: neither wanted nor reported missing any more.</summary>
    public void Unsubscribe(string name)
    {
        _names?.Remove(name);
        _reportedMissing?.Remove(name);
    }

    /// <summary>
    /// What the client holds: seeded from initial_resource_versions, then updated by every response. It is the
    /// stream status's own map of the type (what CSDS shows), not a copy of it.
    /// </summary>
    public required DeltaHoldings ClientHas { get; init; }

    /// <summary>Whether <paramref name="name"/> was already reported in removed_resources as not existing (so not again).</summary>
    public bool WasReportedMissing(string name) => _reportedMissing?.Contains(name) == true;

    /// <summary>Whether any name is reported missing (and not sent since).</summary>
    public bool HasReportedMissing => _reportedMissing is { Count: > 0 };

    public void ReportedMissing(string name) => (_reportedMissing ??= new(StringComparer.Ordinal)).Add(name);

    /// <summary>
    /// A held name the next diff sends again even at the version held (a name the client no longer gets is removed by
    /// the diff anyway): one it unsubscribed from while taking the wildcard, before there was a snapshot to tell whether
    /// the wildcard covers it (the client keeps its copy and waits to be told); the endpoints of a cluster that warms.
    /// </summary>
    public void AnswerAtNextDiff(string name) => (_answerAtNextDiff ??= new(StringComparer.Ordinal)).Add(name);

    /// <summary>The names <see cref="AnswerAtNextDiff"/> kept (null: none), handed to the diff that answers them.</summary>
    public HashSet<string>? TakeNamesToAnswer()
    {
        var names = _answerAtNextDiff;
        _answerAtNextDiff = null;
        return names;
    }

    /// <summary>The name was sent: it exists again, and is reported again if it goes.</summary>
    public void NoLongerMissing(string name) => _reportedMissing?.Remove(name);

    /// <summary>
    /// The resource set (of a snapshot, for this type) that the client holds everything of that it asked for,
    /// at the set's versions, with nothing to remove: a diff against it would send nothing. Set once a diff's
    /// responses are written; cleared when the subscription changes or the client's holdings are seeded. An ACK
    /// is diffed against the very snapshot whose response it answers, so this saves each ACK (and a snapshot the
    /// stream is handed again) a walk of the type's resources.
    /// </summary>
    public ResourceSet? InSyncWith { get; set; }

    /// <summary>
    /// The first response this stream was sent, when it was shared by the identity's streams (see
    /// <see cref="DeltaChange.FromNothing"/>): the resource set holds it weakly, so the streams that were sent it
    /// keep it alive until their client answers, and the identity's other streams connecting meanwhile find it.
    /// </summary>
    public DeltaChange? SharedFirst { get; set; }

    /// <summary>The nonce this stream wrote <see cref="SharedFirst"/> with (a shared response takes each stream's own).</summary>
    public string? SharedFirstNonce { get; set; }

    // Responses not yet ACKed or NACKed, by nonce, with the resources each carried, oldest first: the oldest in a
    // field, any later ones in a list made when a second is pending. A type of a stream mostly has one response
    // unanswered at a time (each change's, until its ACK), so a list and its array made per response, as before,
    // were most of what a send of a shared change allocated; an idle proxy's types hold neither.
    // Each keeps the outcome the response's resources were recorded with (DeltaHoldings.Sent), which the answer replaces.
    private (string Nonce, IReadOnlyList<XdsResource> Resources, DeltaOutcome Sent) _oldest;
    private List<(string Nonce, IReadOnlyList<XdsResource> Resources, DeltaOutcome Sent)>? _later;

    // The nonce (its number) of the latest response forgotten past MaxPending whose answer has not come yet; 0 when
    // none. Its answer (Envoy answers every delta response, in order) then still reaches what it carried, which the
    // holdings find by the nonce their outcome carries (DeltaHoldings.AnsweredThrough).
    private long _forgottenThrough;

    // The nonce (its number) of the latest response answered, forgotten or pending: an answer names it and every
    // earlier one (the client answers in order, and one answered past is taken as accepted), so a nonce up to it that
    // comes again is a repeat or stale, not an answer, even once later responses are forgotten.
    private long _answeredThrough;

    /// <summary>The nonce (its number) of the latest response forgotten past <see cref="MaxPending"/> whose answer has not come yet; 0 when none.</summary>
    public long ForgottenThrough => _forgottenThrough;

    /// <summary>How many responses are not answered yet.</summary>
    public int PendingCount => _oldest.Nonce is null ? 0 : 1 + (_later?.Count ?? 0);

    /// <summary>
    /// A response was written; the oldest unanswered one is forgotten past <see cref="MaxPending"/>: its answer is
    /// then found by its nonce alone (<see cref="WasForgotten"/>).
    /// </summary>
    public void AddPending(string nonce, IReadOnlyList<XdsResource> resources, DeltaOutcome sent)
    {
        if (_oldest.Nonce is null)
        {
            _oldest = (nonce, resources, sent);
            return;
        }

        (_later ??= new(1)).Add((nonce, resources, sent));
        if (PendingCount > MaxPending)
        {
            _forgottenThrough = Math.Max(_forgottenThrough, _oldest.Sent.Nonce);
            ClientHas.Forgotten(_oldest.Resources, _oldest.Sent);
            _oldest = _later[0];
            _later.RemoveAt(0);
        }
    }

    /// <summary>Where the response with <paramref name="nonce"/> is among those not yet answered; -1 when it is not (stale or unknown).</summary>
    public int PendingIndex(string nonce)
    {
        if (_oldest.Nonce is null)
        {
            return -1;
        }

        if (_oldest.Nonce == nonce)
        {
            return 0;
        }

        for (var i = 0; i < (_later?.Count ?? 0); i++)
        {
            if (_later![i].Nonce == nonce)
            {
                return i + 1;
            }
        }

        return -1;
    }

    /// <summary>
    /// Whether <paramref name="nonce"/> may name a response of this type forgotten past <see cref="MaxPending"/>
    /// whose answer has not come yet (<paramref name="number"/>: the nonce's number); checked only for a nonce
    /// not pending.
    /// </summary>
    public bool WasForgotten(string nonce, out long number)
    {
        number = _forgottenThrough > 0 ? StreamNonces.Number(nonce) : 0;
        return number > _answeredThrough && number <= _forgottenThrough;
    }

    /// <summary>
    /// The client gave <paramref name="answer"/> to the forgotten response with nonce <paramref name="number"/>
    /// (<see cref="WasForgotten"/>): what it carried takes that answer, and any earlier one still unanswered is taken
    /// as accepted (<see cref="DeltaHoldings.AnsweredThrough"/>).
    /// </summary>
    public void AnsweredForgotten(long number, DeltaOutcome answer)
    {
        ClientHas.AnsweredThrough(number, answer, answer.Accepted());
        _answeredThrough = number;
        if (number >= _forgottenThrough)
        {
            _forgottenThrough = 0;
        }
    }

    /// <summary>
    /// The client gave <paramref name="answer"/> to the response at <paramref name="index"/> (of <see cref="PendingIndex"/>):
    /// it and the older ones are no longer pending. The older ones, and any forgotten past the limit, were answered
    /// past: the client takes a stream's responses in order and answers each, so it took them without refusing them,
    /// and they are taken as accepted (a client that skips an answer never gives it later). Returns the resources
    /// the answered one carried and the outcome they were sent with, for the caller to give the answer to.
    /// </summary>
    public (IReadOnlyList<XdsResource> Resources, DeltaOutcome Sent) Answered(int index, DeltaOutcome answer)
    {
        if (_forgottenThrough > 0)
        {
            var accepted = answer.Accepted();
            ClientHas.AnsweredThrough(_forgottenThrough, accepted, accepted);
            _forgottenThrough = 0;
        }

        _answeredThrough = Math.Max(_answeredThrough, StreamNonces.Number(index == 0 ? _oldest.Nonce : _later![index - 1].Nonce));
        if (index == 0 && _later is null)
        {
            var oldest = _oldest;
            _oldest = default;
            return (oldest.Resources, oldest.Sent);
        }

        var (_, resources, sent) = index == 0 ? _oldest : _later![index - 1];
        if (index > 0)
        {
            var accepted = answer.Accepted();
            ClientHas.Answered(_oldest.Resources, _oldest.Sent, accepted);
            for (var i = 0; i < index - 1; i++)
            {
                ClientHas.Answered(_later![i].Resources, _later[i].Sent, accepted);
            }
        }

        var answered = (resources, sent);
        if (index == _later!.Count)
        {
            _oldest = default;
            _later = null;
        }
        else
        {
            // The response after the answered one becomes the oldest.
            _oldest = _later[index];
            _later.RemoveRange(0, index + 1);
            if (_later.Count == 0)
            {
                _later = null;
            }
        }

        return answered;
    }
}
