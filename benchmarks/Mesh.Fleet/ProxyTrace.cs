using System.Diagnostics;

namespace Mesh.Fleet;

/// <summary>
/// What one simulated Envoy saw of its streams and, per type, of the latest response it read and the latest ACK it
/// wrote: what the fleet prints for a proxy a change never reached, beside what the server believes of it
/// (<see cref="MissingProxies"/>). It tells a response never read from one read whose ACK never went out (its stream
/// ended in between) and from one read on a stream that has since been reopened (issue13as).
/// </summary>
internal sealed class ProxyTrace
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TypeTrace> _types = new(StringComparer.Ordinal);
    private int _streams;
    private long _openedAt;
    private long _endedAt;
    private string? _end;

    public void StreamOpened()
    {
        lock (_lock)
        {
            _streams++;
            _openedAt = Stopwatch.GetTimestamp();
        }
    }

    public void StreamEnded(string how)
    {
        lock (_lock)
        {
            _endedAt = Stopwatch.GetTimestamp();
            _end = how;
        }
    }

    public void Received(string typeUrl, string version, string nonce)
    {
        lock (_lock)
        {
            _types[typeUrl] = Type(typeUrl) with { ReceivedVersion = version, ReceivedNonce = nonce, ReceivedAt = Stopwatch.GetTimestamp(), ReceivedOnStream = _streams };
        }
    }

    public void Acked(string typeUrl, string version, string nonce)
    {
        lock (_lock)
        {
            _types[typeUrl] = Type(typeUrl) with { AckedVersion = version, AckedNonce = nonce, AckedAt = Stopwatch.GetTimestamp() };
        }
    }

    private TypeTrace Type(string typeUrl) => _types.GetValueOrDefault(typeUrl) ?? new TypeTrace();

    public ProxyFacts Facts()
    {
        lock (_lock)
        {
            return new ProxyFacts(_streams, _openedAt, _endedAt, _end, new Dictionary<string, TypeTrace>(_types, StringComparer.Ordinal));
        }
    }
}

/// <summary>
/// One type's latest response read (its version, nonce, when, and on which of the proxy's streams, counted from 1)
/// and latest ACK written. For delta the version is the response's resources' name@version list.
/// </summary>
internal sealed record TypeTrace(
    string? ReceivedVersion = null,
    string? ReceivedNonce = null,
    long ReceivedAt = 0,
    int ReceivedOnStream = 0,
    string? AckedVersion = null,
    string? AckedNonce = null,
    long AckedAt = 0);

/// <summary>A proxy's trace at one moment: streams opened, the current one's open time, the last end and its cause, and each type's.</summary>
internal sealed record ProxyFacts(int Streams, long OpenedAt, long EndedAt, string? End, IReadOnlyDictionary<string, TypeTrace> Types)
{
    public TypeTrace Route => Types.GetValueOrDefault(TypeUrls.Route) ?? new TypeTrace();

    /// <summary>Whether the latest route response read was ACKed (same nonce); false also when none was read.</summary>
    public bool RouteAcked => Route.ReceivedNonce is { } nonce && Route.AckedNonce == nonce;

    /// <summary>Whether the proxy read a route response after <paramref name="since"/> (a Stopwatch timestamp).</summary>
    public bool RouteReadSince(long since) => Route.ReceivedAt > since;

    /// <summary>Whether a stream of the proxy ended after <paramref name="since"/>.</summary>
    public bool StreamEndedSince(long since) => EndedAt > since;

    /// <summary>One line: the streams and each type's last response and ACK, times in seconds from <paramref name="since"/>.</summary>
    public string Describe(long since)
    {
        string At(long t) => t == 0 ? "never" : $"{Stopwatch.GetElapsedTime(since, t).TotalSeconds:+0.0;-0.0} s";
        var types = Types.OrderBy(t => Order(t.Key)).Select(t =>
            $"{TypeUrls.Short(t.Key)} read v={Short(t.Value.ReceivedVersion)} n={t.Value.ReceivedNonce} at {At(t.Value.ReceivedAt)} on stream {t.Value.ReceivedOnStream}, ACKed v={Short(t.Value.AckedVersion)} n={t.Value.AckedNonce} at {At(t.Value.AckedAt)}");
        var end = End is null ? "no stream ended" : $"last stream end at {At(EndedAt)}: {Cut(End, 160)}";
        return $"streams opened {Streams} (current one at {At(OpenedAt)}), {end}; {string.Join("; ", types)}";
    }

    private static int Order(string typeUrl) => Array.IndexOf([TypeUrls.Cluster, TypeUrls.Endpoint, TypeUrls.Listener, TypeUrls.Route], typeUrl);

    internal static string Short(string? version) => version is null ? "-" : Cut(version, 24);

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}
