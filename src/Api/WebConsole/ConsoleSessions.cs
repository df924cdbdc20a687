using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Mesh.Api.WebConsole;

/// <summary>A console sign-in: which access key it stands for, and the token its state-changing calls must echo.</summary>
public sealed record ConsoleSession(string Id, string AccessKeyId, string CsrfToken, DateTimeOffset ExpiresAt);

/// <summary>
/// The console's sign-ins, kept in this host's memory: the browser holds only a random session id in an HttpOnly
/// cookie, never the key's secret. A restart (or another replica) signs the browser out, which the console
/// answers by showing the sign-in page again.
/// </summary>
public sealed class ConsoleSessions(IOptions<ConsoleOptions> options, TimeProvider clock)
{
    /// <summary>Bounds memory against a flood of sign-ins; the oldest sessions go first.</summary>
    private const int MaxSessions = 10_000;

    private readonly ConcurrentDictionary<string, ConsoleSession> sessions = new(StringComparer.Ordinal);

    public ConsoleSession Create(string accessKeyId)
    {
        var now = clock.GetUtcNow();
        if (sessions.Count >= MaxSessions)
        {
            foreach (var stale in sessions.Values.OrderBy(s => s.ExpiresAt).Take(sessions.Count - MaxSessions + 1))
            {
                sessions.TryRemove(stale.Id, out _);
            }
        }

        var session = new ConsoleSession(NewToken(), accessKeyId, NewToken(), now + options.Value.SessionLifetime);
        sessions[session.Id] = session;
        return session;
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
