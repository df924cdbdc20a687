using System.Data.Common;
using Npgsql;

namespace Mesh.Persistence;

/// <summary>Checks <c>ConnectionStrings:Mesh</c> before a host builds anything on it, and reads what the operator wrote in it.</summary>
public static class ConnectionStrings
{
    public const string Setting = "ConnectionStrings:Mesh";

    public const string Example = "Host=127.0.0.1;Port=5432;Database=mesh;Username=postgres";

    /// <summary>
    /// Why the connection string cannot be used, as one line naming the setting and showing the right form;
    /// null when Npgsql accepts it. Npgsql itself would throw only at the first use, deep inside a request or a
    /// hosted service.
    /// </summary>
    public static string? Problem(string connectionString)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            return $"{Setting} is malformed ({e.Message.TrimEnd('.')}). Write it as \"{Example}\" "
                + "(environment variable ConnectionStrings__Mesh).";
        }
    }

    /// <summary>
    /// Whether the connection string sets one of <paramref name="keywords"/> (a setting's name and its synonyms), so
    /// that a host's own default for it gives way to the operator's. Npgsql's builder knows every keyword whether set
    /// or not; the plain builder holds only what was written.
    /// </summary>
    public static bool Sets(string connectionString, params string[] keywords)
    {
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return keywords.Any(written.ContainsKey);
    }
}
