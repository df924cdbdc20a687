using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// The SQLSTATEs with which the write functions (migration <c>WriteFunctions</c>) refuse a write, each carrying in
/// its message text the facts the API words the App Mesh error from (the detail would be redacted by Npgsql). Which
/// class words which: <see cref="WriteDependencies"/> the missing resource and the route's port,
/// <see cref="Idempotency"/> the clientToken, <see cref="InUseRefusal"/> a delete of something still used.
/// </summary>
/// <remarks>
/// Since migration <c>DescribedWriteRefusals</c> the message first says what the refusal is, for PostgreSQL's log
/// ("mesh write refused (answered NotFoundException by the API), needed resource missing at position (0 = the
/// resource itself): 3"), and the facts follow the first ": ". A message without that prefix (a schema before that
/// migration) is all facts.
/// </remarks>
public static class WriteRefusals
{
    /// <summary>A needed resource does not exist: its position (1-based) in the list the API sent, or 0 for the resource itself.</summary>
    public const string Missing = "MR001";

    /// <summary>A route's match port does not fit its router's listeners: the ports, ", "-separated.</summary>
    public const string RoutePort = "MR002";

    /// <summary>A delete of a resource still used: which check found users, a space, and a JSON array of [kind, parent, name, total].</summary>
    public const string InUse = "MR003";

    /// <summary>The clientToken was used for another request: that request's operation.</summary>
    public const string TokenReused = "MT001";

    /// <summary>The clientToken's record vanished between its claim and its read.</summary>
    public const string TokenChangedHands = "MT002";

    /// <summary>What every refusal's message starts with, before the description that ends at the first ": ".</summary>
    private const string DescribedPrefix = "mesh ";

    /// <summary>The refusal's facts, when <paramref name="error"/> is a refusal with <paramref name="state"/>.</summary>
    public static string? Facts(Exception error, string state) =>
        Find(error) is { } postgres && postgres.SqlState == state ? FactsOf(postgres.MessageText) : null;

    /// <summary>The facts of a refusal's message: what follows its description, or the whole of an undescribed one.</summary>
    private static string FactsOf(string message)
    {
        var end = message.IndexOf(": ", StringComparison.Ordinal);
        return message.StartsWith(DescribedPrefix, StringComparison.Ordinal) && end >= 0 ? message[(end + 2)..] : message;
    }

    private static PostgresException? Find(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is PostgresException postgres)
            {
                return postgres;
            }
        }

        return null;
    }
}
