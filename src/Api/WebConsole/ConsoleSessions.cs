using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Mesh.Api.WebConsole;

/// <summary>
/// A console sign-in: which access key it stands for, and the token its state-changing calls must echo.
/// <see cref="Created"/> orders sign-ins (the oldest is evicted first) even when the clock gives two the same time.
/// </summary>
public sealed record ConsoleSession(string Id, string AccessKeyId, string CsrfToken, DateTimeOffset ExpiresAt, long Created);

/// <summary>
/// The console's sign-ins, kept in this host's memory: the browser holds only a random session id in an HttpOnly
/// cookie, never the key's secret. A restart (or another replica) signs the browser out, which the console
/// answers by showing the sign-in page again.
/// </summary>
public sealed class ConsoleSessions(IOptions<ConsoleOptions> options, TimeProvider clock)
{
    /// <summary>Bounds memory against a flood of sign-ins from many keys; the oldest sessions go first.</summary>
    public const int MaxSessions = 10_000;

    private readonly ConcurrentDictionary<string, ConsoleSession> sessions = new(StringComparer.Ordinal);
    private long created;

    /// <summary>
    /// A new session for the key. A key already holding <see cref="ConsoleOptions.MaxSessionsPerKey"/> loses its own
    /// oldest: one key signing in over and over must not push every other key's sessions out of the overall bound.
    /// </summary>
    public ConsoleSession Create(string accessKeyId)
    {
        var now = clock.GetUtcNow();
        var perKey = Math.Max(1, options.Value.MaxSessionsPerKey);
        var mine = sessions.Values.Where(s => s.AccessKeyId == accessKeyId).ToList();
        Evict(mine, mine.Count - perKey + 1);
        if (sessions.Count >= MaxSessions)
        {
            Evict(sessions.Values, sessions.Count - MaxSessions + 1);
        }

        var session = new ConsoleSession(NewToken(), accessKeyId, NewToken(), now + options.Value.SessionLifetime, Interlocked.Increment(ref created));
        sessions[session.Id] = session;
        return session;
    }

    private void Evict(IEnumerable<ConsoleSession> candidates, int count)
    {
        if (count <= 0)
        {
            return;
        }

        foreach (var stale in candidates.OrderBy(s => s.Created).Take(count).ToList())
        {
            sessions.TryRemove(stale.Id, out _);
        }
    }

    /// <summary>The live session with this id, or null (unknown, expired, or signed out).</summary>
    public ConsoleSession? Find(string? id)
    {
        if (id is null || !sessions.TryGetValue(id, out var session))
        {
            return null;
        }

        if (session.ExpiresAt <= clock.GetUtcNow())
        {
            sessions.TryRemove(id, out _);
            return null;
        }

        return session;
    }

    public void Remove(string id) => sessions.TryRemove(id, out _);

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
