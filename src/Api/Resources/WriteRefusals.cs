using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// The SQLSTATEs with which the write functions (migration <c>WriteFunctions</c>) refuse a write, each carrying in
/// its message text the facts the API words the App Mesh error from (the detail would be redacted by Npgsql). Which
/// class words which: <see cref="WriteDependencies"/> the missing resource and the route's port,
/// <see cref="Idempotency"/> the clientToken, <see cref="InUseRefusal"/> a delete of something still used.
/// </summary>
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

    /// <summary>The refusal's facts, when <paramref name="error"/> is a refusal with <paramref name="state"/>.</summary>
    public static string? Facts(Exception error, string state) =>
        Find(error) is { } postgres && postgres.SqlState == state ? postgres.MessageText : null;

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
